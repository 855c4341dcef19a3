import type { SourceConfig } from '../config/source-config-schema';
import type { CiEventBody, CiStatus } from '../event/ci-event-schema';
import { verifyHmacHex } from '../verify/verify-hmac';
import {
  actorOf,
  attemptOf,
  checkStatus,
  commitOf,
  commitStates,
  personOf,
  repositoryOf,
  timesOf,
} from './github';
import { PayloadError } from './payload-error';
import type { AuthFailure, NormalizeResult, Provider, WebhookRequest } from './provider';
import {
  compact,
  optionalArray,
  optionalInteger,
  optionalString,
  optionalTimestamp,
  requireString,
  splitRef,
} from './read-payload';

// Gitea's Actions webhooks (workflow_run, workflow_job; Gitea 1.24+) are modelled on GitHub's, and so is
// their status vocabulary: Gitea maps its own run states onto GitHub's status / conclusion words
// (`ToActionsStatus` in go-gitea/gitea services/convert/convert.go), so github.ts's `checkStatus` and its
// tables apply unchanged. https://docs.gitea.com/usage/webhooks

/**
 * Commit status states: GitHub's four plus Gitea's `warning` and `skipped`.
 * https://github.com/go-gitea/gitea/blob/main/modules/commitstatus/commit_status.go
 */
export const giteaCommitStates: ReadonlyMap<string, CiStatus> = new Map<string, CiStatus>([
  ...commitStates,
  // Gitea ranks warning below pending and above failure, and a required check in warning blocks merging:
  // it is not green, so it reads as failed (the provider's word stays in providerStatus).
  ['warning', 'failure'],
  ['skipped', 'skipped'],
]);

/**
 * A timestamp as Gitea and Forgejo write them, or undefined. Go's zero times stand for "not yet":
 * Gitea writes `1970-01-01T00:00:00Z` for a run that has not started, Forgejo `0001-01-01T00:00:00Z`.
 */
export function forgeTimestamp(payload: unknown, path: string): string | undefined {
  const iso = optionalTimestamp(payload, path);
  return iso !== undefined && Date.parse(iso) > 0 ? iso : undefined;
}

/**
 * The pull request a run or job belongs to: the top-level `pull_request` Gitea adds to Actions events
 * triggered by one, else the first entry of the run's `pull_requests` into this repository.
 */
function pullRequestOf(payload: unknown, list?: string): CiEventBody['pullRequest'] {
  const number = optionalInteger(payload, 'pull_request.number');
  if (number !== undefined) return compact({ number, url: optionalString(payload, 'pull_request.html_url') });
  if (list === undefined) return undefined;
  const repositoryId = optionalString(payload, 'repository.id');
  const repositoryUrl = optionalString(payload, 'repository.html_url');
  const count = optionalArray(payload, list).length;
  for (let i = 0; i < count; i++) {
    const listed = optionalInteger(payload, `${list}.${i}.number`);
    const baseId = optionalString(payload, `${list}.${i}.base.repo.id`);
    if (listed === undefined || (baseId !== undefined && baseId !== repositoryId)) continue;
    // Gitea's pull request pages live under /pulls/, not GitHub's /pull/.
    return compact({ number: listed, url: repositoryUrl && `${repositoryUrl}/pulls/${listed}` });
  }
  return undefined;
}

// https://docs.gitea.com/usage/webhooks (workflow_run); WorkflowRunPayload in modules/structs/hook.go
function workflowRun(payload: unknown): CiEventBody {
  const id = requireString(payload, 'workflow_run.id');
  const state = checkStatus(payload, 'workflow_run');
  const finished = optionalString(payload, 'workflow_run.status') === 'completed';
  return compact({
    kind: 'pipeline' as const,
    ...state,
    repository: repositoryOf(payload),
    ...splitRef(optionalString(payload, 'workflow_run.head_branch')),
    pullRequest: pullRequestOf(payload, 'workflow_run.pull_requests'),
    commit: commitOf(payload, 'workflow_run.head_sha', 'workflow_run.head_commit'),
    pipeline: compact({
      id,
      // Gitea's run has no `name`; the workflow object next to it does (or its file name).
      name:
        optionalString(payload, 'workflow_run.name') ??
        optionalString(payload, 'workflow.name') ??
        optionalString(payload, 'workflow.id') ??
        'workflow',
      number: optionalInteger(payload, 'workflow_run.run_number'),
      attempt: attemptOf(payload, 'workflow_run.run_attempt'),
      url: optionalString(payload, 'workflow_run.html_url'),
    }),
    actor: actorOf(payload, 'workflow_run.trigger_actor', 'workflow_run.actor', 'sender'),
    // Gitea calls the run's start `started_at`, its end `completed_at` (GitHub: run_started_at, updated_at).
    ...timesOf(
      forgeTimestamp(payload, 'workflow_run.created_at'),
      forgeTimestamp(payload, 'workflow_run.started_at') ??
        forgeTimestamp(payload, 'workflow_run.run_started_at'),
      finished ? forgeTimestamp(payload, 'workflow_run.completed_at') : undefined,
    ),
  });
}

// https://docs.gitea.com/usage/webhooks (workflow_job); WorkflowJobPayload in modules/structs/hook.go
function workflowJob(payload: unknown): CiEventBody {
  const runId = requireString(payload, 'workflow_job.run_id');
  const jobUrl = optionalString(payload, 'workflow_job.html_url');
  return compact({
    kind: 'job' as const,
    ...checkStatus(payload, 'workflow_job'),
    repository: repositoryOf(payload),
    ...splitRef(optionalString(payload, 'workflow_job.head_branch')),
    pullRequest: pullRequestOf(payload),
    commit: commitOf(payload, 'workflow_job.head_sha'),
    pipeline: compact({
      id: runId,
      // Gitea's job payload does not name its workflow; the run's page is the job's page less `/jobs/<n>`.
      name: optionalString(payload, 'workflow_job.workflow_name') ?? 'workflow',
      attempt: attemptOf(payload, 'workflow_job.run_attempt'),
      url: jobUrl?.replace(/\/jobs\/\d+$/, ''),
    }),
    job: compact({
      id: requireString(payload, 'workflow_job.id'),
      name: requireString(payload, 'workflow_job.name'),
      url: jobUrl,
    }),
    actor: actorOf(payload, 'sender'),
    ...timesOf(
      forgeTimestamp(payload, 'workflow_job.created_at'),
      forgeTimestamp(payload, 'workflow_job.started_at'),
      forgeTimestamp(payload, 'workflow_job.completed_at'),
    ),
  });
}

/**
 * A commit status (`status` event; Gitea 1.23+): CommitStatusPayload in modules/structs/hook.go. Unlike
 * GitHub's, its `commit` is the push-style PayloadCommit and it lists no branches.
 */
export function commitStatus(payload: unknown): CiEventBody {
  const repository = repositoryOf(payload);
  const sha = requireString(payload, 'sha');
  const context = requireString(payload, 'context');
  const state = requireString(payload, 'state');
  const status = giteaCommitStates.get(state);
  if (status === undefined)
    throw new PayloadError(`payload field "state" has unknown value "${state}"`, 'state');
  return compact({
    kind: 'pipeline' as const,
    status,
    providerStatus: state,
    repository,
    commit: compact({
      sha,
      message: optionalString(payload, 'commit.message'),
      url: optionalString(payload, 'commit.url') ?? (repository.url && `${repository.url}/commit/${sha}`),
      author: personOf({
        login: optionalString(payload, 'commit.author.username'),
        name: optionalString(payload, 'commit.author.name'),
        email: optionalString(payload, 'commit.author.email'),
      }),
    }),
    // A commit status has no run id: each (commit, context) pair is one run, updated in place.
    pipeline: compact({
      id: `${repository.name}:${sha}:${context}`,
      name: context,
      url: optionalString(payload, 'target_url'),
    }),
    actor: actorOf(payload, 'sender'),
    createdAt: forgeTimestamp(payload, 'created_at'),
    finishedAt: status === 'running' ? undefined : forgeTimestamp(payload, 'updated_at'),
  });
}

/** How a Gitea-family forge signs and labels its webhooks, and which of its events are CI statuses. */
export interface ForgeWebhooks {
  /** Display name used in messages (`Gitea`, `Forgejo`). */
  label: string;
  /** Signature headers, lower-case, most specific first: the first one present is checked. */
  signatureHeaders: readonly string[];
  /** Delivery id headers, lower-case, most specific first. */
  deliveryHeaders: readonly string[];
  /** Event type headers, lower-case, most specific first. */
  eventHeaders: readonly string[];
  /** A normalizer per supported event type; every other event is ignored. */
  events: Readonly<Record<string, (payload: unknown) => CiEventBody>>;
}

function firstHeader(
  request: WebhookRequest,
  names: readonly string[],
): { name: string; value: string } | undefined {
  for (const name of names) {
    const value = request.headers[name];
    if (value !== undefined && value !== '') return { name, value };
  }
  return undefined;
}

/** Display form of a lower-case header name: `x-gitea-signature` becomes `X-Gitea-Signature`. */
function headerLabel(name: string): string {
  return name.replace(/(^|-)([a-z])/g, (_m, dash: string, c: string) => dash + c.toUpperCase());
}

function verifyForgeSignature(
  webhooks: ForgeWebhooks,
  request: WebhookRequest,
  source: SourceConfig,
): AuthFailure | undefined {
  const names = webhooks.signatureHeaders.map(headerLabel).join(' or ');
  const signature = firstHeader(request, webhooks.signatureHeaders);
  if (signature === undefined) return { code: 'missing_signature', message: `${names} header is required` };
  // The header is the bare hex HMAC-SHA256 of the raw body, without GitHub's `sha256=` prefix.
  if (!verifyHmacHex(source.secrets ?? [], request.rawBody, signature.value)) {
    return {
      code: 'bad_signature',
      message: `${headerLabel(signature.name)} does not match any configured secret`,
    };
  }
  return undefined;
}

/** A Gitea-family provider: HMAC-signed JSON webhooks whose CI events are normalized by `webhooks.events`. */
export function createForgeProvider(webhooks: ForgeWebhooks): Provider {
  return {
    auth: ['secrets'],
    // A form post is signed over the JSON inside its `payload` field, not over the bytes sent, so only
    // JSON can be verified on the raw body.
    contentTypes: ['application/json'],
    verify: (request, source) => verifyForgeSignature(webhooks, request, source),
    deliveryHeaders: webhooks.deliveryHeaders,
    deliveryId: (request) => firstHeader(request, webhooks.deliveryHeaders)?.value,
    normalize(request, payload): NormalizeResult {
      const event = firstHeader(request, webhooks.eventHeaders)?.value;
      if (event === undefined) {
        throw new PayloadError(`${webhooks.eventHeaders.map(headerLabel).join(' / ')} header is missing`);
      }
      const normalizer = Object.hasOwn(webhooks.events, event) ? webhooks.events[event] : undefined;
      if (normalizer === undefined) {
        return { type: 'ignored', reason: `${webhooks.label} event "${event}" is not a CI status event` };
      }
      return { type: 'events', events: [normalizer(payload)] };
    },
  };
}

/** Gitea webhooks: Actions workflow runs and jobs, and commit statuses. */
export const giteaProvider: Provider = createForgeProvider({
  label: 'Gitea',
  // https://docs.gitea.com/usage/webhooks: X-Gitea-Signature, X-Gitea-Delivery, X-Gitea-Event(-Type).
  signatureHeaders: ['x-gitea-signature'],
  deliveryHeaders: ['x-gitea-delivery'],
  // X-Gitea-Event-Type is the precise type (pull_request_sync); X-Gitea-Event can be the coarser family.
  eventHeaders: ['x-gitea-event-type', 'x-gitea-event'],
  events: { workflow_run: workflowRun, workflow_job: workflowJob, status: commitStatus },
});

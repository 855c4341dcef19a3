import type { CiEventBody, CiStatus } from '../event/ci-event-schema';
import { safeEqual } from '../verify/safe-equal';
import { verifyStandardWebhookRequest } from '../verify/verify-standard-webhook-request';
import { PayloadError } from './payload-error';
import type { AuthFailure, NormalizeResult, Provider, WebhookRequest } from './provider';
import {
  compact,
  durationBetween,
  optionalInteger,
  optionalString,
  optionalStrings,
  optionalTimestamp,
  requireString,
  splitRef,
} from './read-payload';

/**
 * GitLab's pipeline and job statuses (one vocabulary for both) and the CiEvent status of each.
 * https://docs.gitlab.com/ee/api/pipelines.html#list-project-pipelines (`status`)
 */
export const gitlabStatuses: ReadonlyMap<string, CiStatus> = new Map<string, CiStatus>([
  ['created', 'queued'],
  // Held until its `resource_group` is free: queued behind another run, like a concurrency group.
  // https://docs.gitlab.com/ee/ci/resource_groups/
  ['waiting_for_resource', 'queued'],
  // Its prerequisites (an environment, ...) are being set up; no script has run yet.
  ['preparing', 'queued'],
  ['pending', 'queued'],
  ['running', 'running'],
  // Cancel was requested and `after_script` still runs; `canceled` follows once it ends.
  // https://docs.gitlab.com/ee/ci/jobs/#job-execution-flow
  ['canceling', 'running'],
  ['success', 'success'],
  ['failed', 'failure'],
  ['canceled', 'cancelled'],
  ['skipped', 'skipped'],
  // Nothing happens until someone starts the manual job. https://docs.gitlab.com/ee/ci/jobs/job_control.html#create-a-job-that-must-be-run-manually
  ['manual', 'waiting'],
  // A `when: delayed` job waiting for its timer. https://docs.gitlab.com/ee/ci/jobs/job_control.html#run-a-job-after-a-delay
  ['scheduled', 'waiting'],
]);

// `X-Gitlab-Event` names the hook; the body's `object_kind` is authoritative when present.
// https://docs.gitlab.com/ee/user/project/integrations/webhook_events.html
const hookKinds = new Map([
  ['Pipeline Hook', 'pipeline'],
  ['Job Hook', 'build'],
  ['Build Hook', 'build'],
]);

type Person = NonNullable<CiEventBody['actor']>;

function valueAt(payload: unknown, path: string): unknown {
  let value: unknown = payload;
  for (const key of path.split('.')) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Readonly<Record<string, unknown>>)[key];
  }
  return value;
}

/** GitLab reports durations in seconds, as integers for pipelines and fractions for jobs. */
function secondsAsMs(payload: unknown, path: string): number | undefined {
  const seconds = valueAt(payload, path);
  const ms = typeof seconds === 'number' && seconds >= 0 ? Math.round(seconds * 1000) : undefined;
  return ms !== undefined && Number.isSafeInteger(ms) ? ms : undefined;
}

function statusOf(payload: unknown, path: string): CiStatus {
  const value = requireString(payload, path);
  const status = gitlabStatuses.get(value);
  if (status === undefined)
    throw new PayloadError(`payload field "${path}" has unknown value "${value}"`, path);
  return status;
}

function personOf(fields: { [K in keyof Person]: string | undefined }): Person | undefined {
  // A user without a public email is sent as "[REDACTED]".
  // https://docs.gitlab.com/ee/user/project/integrations/webhook_events.html
  const email = fields.email?.includes('@') ? fields.email : undefined;
  const person = compact({ ...fields, email });
  return Object.keys(person).length > 0 ? person : undefined;
}

function actorOf(payload: unknown): CiEventBody['actor'] {
  return personOf({
    login: optionalString(payload, 'user.username'),
    name: optionalString(payload, 'user.name'),
    email: optionalString(payload, 'user.email'),
  });
}

/** `tag` is a boolean beside the bare `ref`: a tag pipeline's ref is the tag name. */
function refOf(payload: unknown, refPath: string, tagPath: string): Pick<CiEventBody, 'branch' | 'tag'> {
  const ref = optionalString(payload, refPath);
  if (ref === undefined) return {};
  if (valueAt(payload, tagPath) === true) return { tag: ref };
  return splitRef(ref);
}

/** The project path (`group/subgroup/project`) from a project web URL. */
function pathOfUrl(url: string | undefined): string | undefined {
  if (url === undefined || !URL.canParse(url)) return undefined;
  const path = new URL(url).pathname.replace(/^\/+|\/+$/g, '').replace(/\.git$/, '');
  return path.includes('/') ? path : undefined;
}

// https://docs.gitlab.com/ee/user/project/integrations/webhook_events.html#pipeline-events
function pipelineHook(payload: unknown): CiEventBody {
  const id = requireString(payload, 'object_attributes.id');
  const statusWord = requireString(payload, 'object_attributes.status');
  const status = statusOf(payload, 'object_attributes.status');
  const detailed = optionalString(payload, 'object_attributes.detailed_status');
  const repository = compact({
    name: requireString(payload, 'project.path_with_namespace'),
    url: optionalString(payload, 'project.web_url'),
  });
  const sha = requireString(payload, 'object_attributes.sha');
  const ref = refOf(payload, 'object_attributes.ref', 'object_attributes.tag');
  const mergeRequest = optionalInteger(payload, 'merge_request.iid');
  return compact({
    kind: 'pipeline' as const,
    status,
    // `detailed_status` tells "passed with warnings" (allowed failures) and "blocked" apart; mostly it repeats `status`.
    providerStatus: isRestatement(statusWord, detailed) ? statusWord : `${statusWord} (${detailed})`,
    repository,
    // A merge request pipeline runs on `refs/merge-requests/<iid>/head`; the branch is the MR's source branch.
    ...(ref.branch === undefined && ref.tag === undefined
      ? { branch: optionalString(payload, 'merge_request.source_branch') }
      : ref),
    pullRequest:
      mergeRequest === undefined
        ? undefined
        : compact({ number: mergeRequest, url: optionalString(payload, 'merge_request.url') }),
    commit: compact({
      sha,
      message: optionalString(payload, 'commit.message'),
      url: optionalString(payload, 'commit.url') ?? (repository.url && `${repository.url}/-/commit/${sha}`),
      author: personOf({
        login: undefined,
        name: optionalString(payload, 'commit.author.name'),
        email: optionalString(payload, 'commit.author.email'),
      }),
    }),
    pipeline: compact({
      id,
      name: optionalString(payload, 'object_attributes.name') ?? 'pipeline',
      number: optionalInteger(payload, 'object_attributes.iid'),
      url:
        optionalString(payload, 'object_attributes.url') ??
        (repository.url && `${repository.url}/-/pipelines/${id}`),
    }),
    actor: actorOf(payload),
    // A pipeline hook has no start time; `duration` is the time its jobs ran, without queueing.
    createdAt: optionalTimestamp(payload, 'object_attributes.created_at'),
    finishedAt: optionalTimestamp(payload, 'object_attributes.finished_at'),
    durationMs: secondsAsMs(payload, 'object_attributes.duration'),
  });
}

function isRestatement(status: string, detailed: string | undefined): boolean {
  return (
    detailed === undefined ||
    detailed === status ||
    detailed === status.replaceAll('_', ' ') ||
    (status === 'success' && detailed === 'passed')
  );
}

// https://docs.gitlab.com/ee/user/project/integrations/webhook_events.html#job-events
function jobHook(payload: unknown): CiEventBody {
  const jobId = requireString(payload, 'build_id');
  const statusWord = requireString(payload, 'build_status');
  const status = statusOf(payload, 'build_status');
  // Newer job hooks carry `project` like pipeline hooks do; older ones only `repository.homepage` and
  // `project_name`, which is the display name ("Jane Doe / app"), so the path comes from the URL first.
  const webUrl = optionalString(payload, 'project.web_url') ?? optionalString(payload, 'repository.homepage');
  const name =
    optionalString(payload, 'project.path_with_namespace') ??
    pathOfUrl(webUrl) ??
    requireString(payload, 'project_name');
  // Old job hooks have no `pipeline_id`; their `commit.id` is the pipeline's id.
  const pipelineId = optionalString(payload, 'pipeline_id') ?? optionalString(payload, 'commit.id');
  if (pipelineId === undefined)
    throw new PayloadError('payload field "pipeline_id" is missing', 'pipeline_id');
  const sha = optionalString(payload, 'sha') ?? requireString(payload, 'commit.sha');
  const failureReason = status === 'failure' ? optionalString(payload, 'build_failure_reason') : undefined;
  const allowedToFail = status === 'failure' && valueAt(payload, 'build_allow_failure') === true;
  const startedAt = optionalTimestamp(payload, 'build_started_at');
  const finishedAt = optionalTimestamp(payload, 'build_finished_at');
  return compact({
    kind: 'job' as const,
    status,
    // A job allowed to fail still failed; the words say that it did not fail its pipeline.
    providerStatus:
      (failureReason === undefined ? statusWord : `${statusWord}/${failureReason}`) +
      (allowedToFail ? ' (allowed to fail)' : ''),
    repository: compact({ name, url: webUrl }),
    ...refOf(payload, 'ref', 'tag'),
    commit: compact({
      sha,
      message: optionalString(payload, 'commit.message'),
      url: webUrl && `${webUrl}/-/commit/${sha}`,
      author: personOf({
        login: undefined,
        name: optionalString(payload, 'commit.author_name'),
        email: optionalString(payload, 'commit.author_email'),
      }),
    }),
    pipeline: compact({
      id: pipelineId,
      // `commit.name` is the pipeline's name; the default matches the pipeline hook's.
      name: optionalString(payload, 'commit.name') ?? 'pipeline',
      url: webUrl && `${webUrl}/-/pipelines/${pipelineId}`,
    }),
    job: compact({
      id: jobId,
      name: requireString(payload, 'build_name'),
      url: webUrl && `${webUrl}/-/jobs/${jobId}`,
      stage: optionalString(payload, 'build_stage'),
      // The tags of the runner that took it; a job still pending has no runner yet.
      runnerLabels: optionalStrings(payload, 'runner.tags'),
    }),
    actor: actorOf(payload),
    createdAt: optionalTimestamp(payload, 'build_created_at'),
    startedAt,
    finishedAt,
    durationMs: secondsAsMs(payload, 'build_duration') ?? durationBetween(startedAt, finishedAt),
  });
}

function verifyToken(request: WebhookRequest, token: string): AuthFailure | undefined {
  const offered = request.headers['x-gitlab-token'];
  if (offered === undefined || offered === '') {
    return { code: 'missing_signature', message: 'X-Gitlab-Token header is required' };
  }
  if (!safeEqual(offered, token)) {
    return { code: 'bad_signature', message: 'X-Gitlab-Token does not match the configured token' };
  }
  return undefined;
}

/** GitLab webhooks: Pipeline Hook and Job Hook events, with a secret token and/or a signing token. */
export const gitlabProvider: Provider = {
  auth: ['token', 'secrets'],
  secretKind: 'standard-webhooks',
  contentTypes: ['application/json'],
  // https://docs.gitlab.com/ee/user/project/integrations/webhooks.html#create-a-webhook
  // Every configured mechanism must pass: the secret token (X-Gitlab-Token) and the signing token
  // (Standard Webhooks headers: webhook-id, webhook-timestamp, webhook-signature).
  verify(request, source, nowMs) {
    const results: (AuthFailure | undefined)[] = [];
    if (source.token !== undefined) results.push(verifyToken(request, source.token));
    if (source.secrets !== undefined)
      results.push(verifyStandardWebhookRequest(request, source.secrets, nowMs));
    if (results.length === 0) {
      return { code: 'bad_signature', message: 'the source has no GitLab token or signing token configured' };
    }
    // A wrong credential says more than an absent one, so it is reported first.
    return results.find((r) => r !== undefined && r.code !== 'missing_signature') ?? results.find(Boolean);
  },
  // Idempotency-Key stays the same when GitLab retries or a user resends the delivery, and webhook-id
  // equals it. X-Gitlab-Webhook-UUID is new on every request, so a retry would not be recognized by it;
  // from a GitLab too old to send Idempotency-Key, the body digest is the steadier key.
  // https://docs.gitlab.com/ee/user/project/integrations/webhooks.html#delivery-headers
  deliveryHeaders: ['idempotency-key', 'webhook-id'],
  deliveryId: (request) => request.headers['idempotency-key'] || request.headers['webhook-id'] || undefined,
  normalize(request, payload): NormalizeResult {
    const objectKind = optionalString(payload, 'object_kind');
    const hook = request.headers['x-gitlab-event'];
    const kind = objectKind ?? (hook === undefined ? undefined : hookKinds.get(hook));
    if (kind === 'pipeline') return { type: 'events', events: [pipelineHook(payload)] };
    if (kind === 'build') return { type: 'events', events: [jobHook(payload)] };
    if (objectKind === undefined && (hook === undefined || hook === '')) {
      throw new PayloadError('payload field "object_kind" is missing', 'object_kind');
    }
    return { type: 'ignored', reason: `GitLab event "${objectKind ?? hook}" is not a CI status event` };
  },
};

import type { CiEventBody, CiStatus } from '../event/ci-event-schema';
import { verifyHmacHex } from '../verify/verify-hmac';
import { PayloadError } from './payload-error';
import type { NormalizeResult, Provider } from './provider';
import {
  compact,
  durationBetween,
  optionalArray,
  optionalInteger,
  optionalString,
  optionalStrings,
  optionalTimestamp,
  requireString,
  splitRef,
} from './read-payload';

// The status / conclusion vocabulary shared by workflow runs, workflow jobs, check suites and check runs:
// https://docs.github.com/en/rest/guides/using-the-rest-api-to-interact-with-checks#about-check-suites
const unfinishedStatuses = new Map<string, CiStatus>([
  ['requested', 'queued'],
  ['queued', 'queued'],
  // `pending`: held back behind another run in the same concurrency group; it has not started.
  ['pending', 'queued'],
  // `waiting`: held by an environment's protection rules (required reviewers, a wait timer).
  // https://docs.github.com/en/actions/managing-workflow-runs-and-deployments/managing-deployments/managing-environments-for-deployment
  ['waiting', 'waiting'],
  ['in_progress', 'running'],
]);

const conclusions = new Map<string, CiStatus>([
  ['success', 'success'],
  ['failure', 'failure'],
  ['cancelled', 'cancelled'],
  ['skipped', 'skipped'],
  // Branch protection lets a neutral check through like a successful one, so it must not read as broken.
  // https://docs.github.com/en/repositories/configuring-branches-and-merges-in-your-repository/managing-protected-branches/about-protected-branches#require-status-checks-before-merging
  ['neutral', 'success'],
  ['timed_out', 'failure'],
  // Nothing more happens until a person acts (approves a fork's run, answers a check's requested action).
  ['action_required', 'waiting'],
  // GitHub marks a check stale when it was left incomplete for 14 days: abandoned, never finished.
  ['stale', 'cancelled'],
  // The workflow could not start (invalid workflow file, ...): the CI broke, not the code under test.
  ['startup_failure', 'error'],
]);

// https://docs.github.com/en/webhooks/webhook-events-and-payloads#status
/** GitHub commit-status `state` values and their CiEvent status (a `pending` status is a check still running). */
export const commitStates = new Map<string, CiStatus>([
  // A commit status is only ever posted as pending once something is working on the commit.
  ['pending', 'running'],
  ['success', 'success'],
  ['failure', 'failure'],
  ['error', 'error'],
]);

type StatusPair = Pick<CiEventBody, 'status' | 'providerStatus'>;

/** Status and provider words of a run, job, suite or check from its `status` and `conclusion`. */
export function checkStatus(payload: unknown, object: string): StatusPair {
  const status = requireString(payload, `${object}.status`);
  if (status === 'completed') {
    const conclusion = optionalString(payload, `${object}.conclusion`);
    // A conclusion newer than this table still means the run is over; `error` gets it noticed.
    const mapped = conclusion === undefined ? undefined : conclusions.get(conclusion);
    return {
      status: mapped ?? 'error',
      providerStatus: conclusion === undefined ? status : `${status}/${conclusion}`,
    };
  }
  const mapped = unfinishedStatuses.get(status);
  if (mapped === undefined) {
    throw new PayloadError(
      `payload field "${object}.status" has unknown value "${status}"`,
      `${object}.status`,
    );
  }
  return { status: mapped, providerStatus: status };
}

/** `repository.full_name` and its web URL. */
export function repositoryOf(payload: unknown): CiEventBody['repository'] {
  return compact({
    name: requireString(payload, 'repository.full_name'),
    url: optionalString(payload, 'repository.html_url'),
  });
}

/**
 * The first pull request opened against this repository. `pull_requests` can also list pull requests
 * into another repository (a branch of a fork proposed upstream); its number alone would point at
 * the wrong place, so those are left out.
 */
function pullRequestOf(payload: unknown, list: string): CiEventBody['pullRequest'] {
  const repositoryId = optionalString(payload, 'repository.id');
  const repositoryUrl = optionalString(payload, 'repository.html_url');
  const count = optionalArray(payload, list).length;
  for (let i = 0; i < count; i++) {
    const number = optionalInteger(payload, `${list}.${i}.number`);
    const baseId = optionalString(payload, `${list}.${i}.base.repo.id`);
    if (number === undefined || (baseId !== undefined && baseId !== repositoryId)) continue;
    return compact({ number, url: repositoryUrl && `${repositoryUrl}/pull/${number}` });
  }
  return undefined;
}

type Person = NonNullable<CiEventBody['actor']>;

/** A person from the fields that are set; undefined when none is. */
export function personOf(fields: { [K in keyof Person]: string | undefined }): Person | undefined {
  const person = compact(fields);
  return Object.keys(person).length > 0 ? person : undefined;
}

/** The commit at `shaPath`, with message and author from the `head_commit` object at `headCommit` when the event has one. */
export function commitOf(payload: unknown, shaPath: string, headCommit?: string): CiEventBody['commit'] {
  const sha = requireString(payload, shaPath);
  const repositoryUrl = optionalString(payload, 'repository.html_url');
  return compact({
    sha,
    message: headCommit === undefined ? undefined : optionalString(payload, `${headCommit}.message`),
    url: repositoryUrl && `${repositoryUrl}/commit/${sha}`,
    author:
      headCommit === undefined
        ? undefined
        : personOf({
            login: undefined,
            name: optionalString(payload, `${headCommit}.author.name`),
            email: optionalString(payload, `${headCommit}.author.email`),
          }),
  });
}

/** The first user object found at `paths` (e.g. the triggering actor, then the sender). */
export function actorOf(payload: unknown, ...paths: string[]): CiEventBody['actor'] {
  for (const path of paths) {
    const login = optionalString(payload, `${path}.login`);
    if (login !== undefined) return { login };
  }
  return undefined;
}

function runUrl(payload: unknown, runId: string): string | undefined {
  const repositoryUrl = optionalString(payload, 'repository.html_url');
  return repositoryUrl && `${repositoryUrl}/actions/runs/${runId}`;
}

/** The run attempt at `path` (1 for the first run, more for re-runs). */
export function attemptOf(payload: unknown, path: string): number | undefined {
  const attempt = optionalInteger(payload, path);
  return attempt === undefined || attempt < 1 ? undefined : attempt;
}

/** Created, started and finished times, with the duration when both ends are known. */
export function timesOf(
  createdAt: string | undefined,
  startedAt: string | undefined,
  finishedAt: string | undefined,
) {
  return { createdAt, startedAt, finishedAt, durationMs: durationBetween(startedAt, finishedAt) };
}

// https://docs.github.com/en/webhooks/webhook-events-and-payloads#workflow_run
function workflowRun(payload: unknown): CiEventBody {
  const id = requireString(payload, 'workflow_run.id');
  const state = checkStatus(payload, 'workflow_run');
  const finished = optionalString(payload, 'workflow_run.status') === 'completed';
  return compact({
    kind: 'pipeline' as const,
    ...state,
    repository: repositoryOf(payload),
    // A run started by a tag push carries the bare tag name in head_branch, indistinguishable from a branch.
    ...splitRef(optionalString(payload, 'workflow_run.head_branch')),
    pullRequest: pullRequestOf(payload, 'workflow_run.pull_requests'),
    commit: commitOf(payload, 'workflow_run.head_sha', 'workflow_run.head_commit'),
    pipeline: compact({
      id,
      name:
        optionalString(payload, 'workflow_run.name') ??
        optionalString(payload, 'workflow.name') ??
        'workflow',
      number: optionalInteger(payload, 'workflow_run.run_number'),
      attempt: attemptOf(payload, 'workflow_run.run_attempt'),
      url: optionalString(payload, 'workflow_run.html_url') ?? runUrl(payload, id),
    }),
    actor: actorOf(payload, 'workflow_run.triggering_actor', 'workflow_run.actor', 'sender'),
    // A run has no completed_at; its last update is when it completed.
    ...timesOf(
      optionalTimestamp(payload, 'workflow_run.created_at'),
      optionalTimestamp(payload, 'workflow_run.run_started_at'),
      finished ? optionalTimestamp(payload, 'workflow_run.updated_at') : undefined,
    ),
  });
}

// https://docs.github.com/en/webhooks/webhook-events-and-payloads#workflow_job
function workflowJob(payload: unknown): CiEventBody {
  const runId = requireString(payload, 'workflow_job.run_id');
  return compact({
    kind: 'job' as const,
    ...checkStatus(payload, 'workflow_job'),
    repository: repositoryOf(payload),
    ...splitRef(optionalString(payload, 'workflow_job.head_branch')),
    commit: commitOf(payload, 'workflow_job.head_sha'),
    pipeline: compact({
      id: runId,
      name: optionalString(payload, 'workflow_job.workflow_name') ?? 'workflow',
      attempt: attemptOf(payload, 'workflow_job.run_attempt'),
      url: runUrl(payload, runId),
    }),
    job: compact({
      id: requireString(payload, 'workflow_job.id'),
      name: requireString(payload, 'workflow_job.name'),
      url: optionalString(payload, 'workflow_job.html_url'),
      runnerLabels: optionalStrings(payload, 'workflow_job.labels'),
    }),
    actor: actorOf(payload, 'sender'),
    ...timesOf(
      optionalTimestamp(payload, 'workflow_job.created_at'),
      optionalTimestamp(payload, 'workflow_job.started_at'),
      optionalTimestamp(payload, 'workflow_job.completed_at'),
    ),
  });
}

// https://docs.github.com/en/webhooks/webhook-events-and-payloads#check_suite
function checkSuite(payload: unknown): CiEventBody {
  const state = checkStatus(payload, 'check_suite');
  const finished = optionalString(payload, 'check_suite.status') === 'completed';
  return compact({
    kind: 'pipeline' as const,
    ...state,
    repository: repositoryOf(payload),
    ...splitRef(optionalString(payload, 'check_suite.head_branch')),
    pullRequest: pullRequestOf(payload, 'check_suite.pull_requests'),
    commit: commitOf(payload, 'check_suite.head_sha', 'check_suite.head_commit'),
    pipeline: {
      id: requireString(payload, 'check_suite.id'),
      name: optionalString(payload, 'check_suite.app.name') ?? 'check suite',
    },
    actor: actorOf(payload, 'sender'),
    // A suite records neither a start nor an end; its last update after completing is the end.
    createdAt: optionalTimestamp(payload, 'check_suite.created_at'),
    finishedAt: finished ? optionalTimestamp(payload, 'check_suite.updated_at') : undefined,
  });
}

// https://docs.github.com/en/webhooks/webhook-events-and-payloads#check_run
function checkRun(payload: unknown): CiEventBody {
  return compact({
    kind: 'job' as const,
    ...checkStatus(payload, 'check_run'),
    repository: repositoryOf(payload),
    ...splitRef(optionalString(payload, 'check_run.check_suite.head_branch')),
    pullRequest:
      pullRequestOf(payload, 'check_run.pull_requests') ??
      pullRequestOf(payload, 'check_run.check_suite.pull_requests'),
    commit: commitOf(payload, 'check_run.head_sha'),
    pipeline: {
      id: requireString(payload, 'check_run.check_suite.id'),
      name:
        optionalString(payload, 'check_run.app.name') ??
        optionalString(payload, 'check_run.check_suite.app.name') ??
        'checks',
    },
    job: compact({
      id: requireString(payload, 'check_run.id'),
      name: requireString(payload, 'check_run.name'),
      url: optionalString(payload, 'check_run.html_url'),
    }),
    actor: actorOf(payload, 'sender'),
    ...timesOf(
      undefined,
      optionalTimestamp(payload, 'check_run.started_at'),
      optionalTimestamp(payload, 'check_run.completed_at'),
    ),
  });
}

// https://docs.github.com/en/webhooks/webhook-events-and-payloads#status
function commitStatus(payload: unknown): CiEventBody {
  const repository = repositoryOf(payload);
  const sha = requireString(payload, 'sha');
  const context = requireString(payload, 'context');
  const state = requireString(payload, 'state');
  const status = commitStates.get(state);
  if (status === undefined)
    throw new PayloadError(`payload field "state" has unknown value "${state}"`, 'state');
  // `branches` lists every branch whose head is this commit; only a single one names the branch built.
  const branches = optionalArray(payload, 'branches');
  const updatedAt = optionalTimestamp(payload, 'updated_at');
  return compact({
    kind: 'pipeline' as const,
    status,
    providerStatus: state,
    repository,
    branch: branches.length === 1 ? optionalString(payload, 'branches.0.name') : undefined,
    commit: compact({
      sha,
      message: optionalString(payload, 'commit.commit.message'),
      url:
        optionalString(payload, 'commit.html_url') ?? (repository.url && `${repository.url}/commit/${sha}`),
      author: personOf({
        login: optionalString(payload, 'commit.author.login'),
        name: optionalString(payload, 'commit.commit.author.name'),
        email: optionalString(payload, 'commit.commit.author.email'),
      }),
    }),
    // A commit status has no run id: each (commit, context) pair is one run, updated in place.
    pipeline: compact({
      id: `${repository.name}:${sha}:${context}`,
      name: context,
      url: optionalString(payload, 'target_url'),
    }),
    actor: actorOf(payload, 'sender'),
    createdAt: optionalTimestamp(payload, 'created_at'),
    finishedAt: status === 'running' ? undefined : updatedAt,
  });
}

function normalizeEvent(event: string, payload: unknown): NormalizeResult {
  const one = (body: CiEventBody): NormalizeResult => ({ type: 'events', events: [body] });
  switch (event) {
    case 'ping':
      return { type: 'ping' };
    case 'workflow_run':
      return one(workflowRun(payload));
    case 'workflow_job':
      return one(workflowJob(payload));
    case 'check_suite':
      return one(checkSuite(payload));
    case 'check_run':
      // Someone pressed one of the check's buttons; its status did not change.
      if (optionalString(payload, 'action') === 'requested_action') {
        return {
          type: 'ignored',
          reason: 'GitHub check_run action "requested_action" is not a status change',
        };
      }
      return one(checkRun(payload));
    case 'status':
      return one(commitStatus(payload));
    default:
      return { type: 'ignored', reason: `GitHub event "${event}" is not a CI status event` };
  }
}

/** GitHub webhooks: Actions workflow runs and jobs, check suites and runs, and commit statuses. */
export const githubProvider: Provider = {
  auth: ['secrets'],
  contentTypes: ['application/json', 'application/x-www-form-urlencoded'],
  // https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries
  // The legacy SHA-1 X-Hub-Signature header is not accepted.
  verify(request, source) {
    const header = request.headers['x-hub-signature-256'];
    if (header === undefined || header === '') {
      return { code: 'missing_signature', message: 'X-Hub-Signature-256 header is required' };
    }
    const hex = header.startsWith('sha256=') ? header.slice('sha256='.length) : '';
    if (!verifyHmacHex(source.secrets ?? [], request.rawBody, hex)) {
      return { code: 'bad_signature', message: 'X-Hub-Signature-256 does not match any configured secret' };
    }
    return undefined;
  },
  deliveryHeaders: ['x-github-delivery'],
  deliveryId: (request) => request.headers['x-github-delivery'],
  normalize(request, payload) {
    const event = request.headers['x-github-event'];
    if (event === undefined || event === '') throw new PayloadError('X-GitHub-Event header is missing');
    return normalizeEvent(event, payload);
  },
};

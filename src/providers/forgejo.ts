import type { CiEventBody, CiStatus } from '../event/ci-event-schema';
import { commitStatus, createForgeProvider, forgeTimestamp } from './gitea';
import { personOf } from './github';
import type { Provider } from './provider';
import {
  compact,
  durationBetween,
  optionalInteger,
  optionalString,
  requireObject,
  requireString,
  splitRef,
} from './read-payload';

// Forgejo's Actions notifications (Forgejo 12+): `action_run_success`, `action_run_failure` and
// `action_run_recover`, sent once a run is done, each an ActionPayload { action, run, prior_status,
// last_run? } whose `run` is the API's ActionRun (modules/structs/action.go; services/webhook/notifier.go
// ActionRunNowDone).
// https://forgejo.org/docs/latest/user/webhooks/

/**
 * Forgejo's run states (`run.status`, models/actions/status.go), for runs and jobs alike. The webhook
 * only fires for a finished run, but the whole vocabulary is mapped.
 */
export const forgejoRunStatuses: ReadonlyMap<string, CiStatus> = new Map<string, CiStatus>([
  ['success', 'success'],
  ['failure', 'failure'],
  ['cancelled', 'cancelled'],
  ['skipped', 'skipped'],
  // Waiting for a runner to pick it up.
  ['waiting', 'queued'],
  ['running', 'running'],
  // Held back by the jobs it `needs`; blocked on approving a fork's pull request is `waiting` (runStatus).
  ['blocked', 'queued'],
  // The runner reported no result: the CI broke, not the code under test.
  ['unknown', 'error'],
]);

function runStatus(payload: unknown): Pick<CiEventBody, 'status' | 'providerStatus'> {
  const status = requireString(payload, 'run.status');
  // Blocked on a person approving a fork's pull request, not on other jobs.
  if (status === 'blocked' && requireObject(payload, 'run')['need_approval'] === true) {
    return { status: 'waiting', providerStatus: status };
  }
  // A state newer than this table still arrived in a "run is done" notification; `error` gets it noticed.
  return { status: forgejoRunStatuses.get(status) ?? 'error', providerStatus: status };
}

/** The payload of the event that triggered the run, which Forgejo passes along as a JSON string. */
function triggerPayload(payload: unknown): unknown {
  const text = optionalString(payload, 'run.event_payload');
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * Branch, tag and pull request of the run. `prettyref` is `#<n>` for a pull request and otherwise a short
 * name that does not tell a branch from a tag, so the trigger's full `ref` is preferred when it has one.
 */
function refOf(payload: unknown, trigger: unknown, repositoryUrl: string | undefined) {
  const prettyRef = optionalString(payload, 'run.prettyref');
  const pull = /^#(\d+)$/.exec(prettyRef ?? '')?.[1];
  if (pull !== undefined) {
    const number = Number(pull);
    return {
      branch: optionalString(trigger, 'pull_request.head.ref'),
      pullRequest: compact({ number, url: repositoryUrl && `${repositoryUrl}/pulls/${number}` }),
    };
  }
  const ref = optionalString(trigger, 'ref');
  return ref?.startsWith('refs/') ? splitRef(ref) : splitRef(prettyRef);
}

function commitOf(payload: unknown, trigger: unknown, isPull: boolean, repositoryUrl: string | undefined) {
  const sha = requireString(payload, 'run.commit_sha');
  // A push's head commit is the commit the run built; other triggers carry no commit details.
  const head = optionalString(trigger, 'head_commit.id') === sha ? 'head_commit' : undefined;
  return compact({
    sha,
    // For anything but a pull request, Forgejo titles the run with the head commit's subject line.
    message:
      (head && optionalString(trigger, `${head}.message`)) ??
      (isPull ? undefined : optionalString(payload, 'run.title')),
    url: repositoryUrl && `${repositoryUrl}/commit/${sha}`,
    author:
      head &&
      personOf({
        login: optionalString(trigger, `${head}.author.username`),
        name: optionalString(trigger, `${head}.author.name`),
        email: optionalString(trigger, `${head}.author.email`),
      }),
  });
}

/** How long the run took: Forgejo's `duration` (Go nanoseconds, re-runs included), else stopped - started. */
function durationOf(payload: unknown, startedAt: string | undefined, finishedAt: string | undefined) {
  const nanoseconds = optionalInteger(payload, 'run.duration');
  return nanoseconds !== undefined && nanoseconds > 0
    ? Math.round(nanoseconds / 1e6)
    : durationBetween(startedAt, finishedAt);
}

function actionRun(payload: unknown): CiEventBody {
  const repository = compact({
    name: requireString(payload, 'run.repository.full_name'),
    url: optionalString(payload, 'run.repository.html_url'),
  });
  const trigger = triggerPayload(payload);
  const refs = refOf(payload, trigger, repository.url);
  const startedAt = forgeTimestamp(payload, 'run.started');
  const finishedAt = forgeTimestamp(payload, 'run.stopped');
  return compact({
    kind: 'pipeline' as const,
    ...runStatus(payload),
    repository,
    ...refs,
    commit: commitOf(payload, trigger, 'pullRequest' in refs, repository.url),
    pipeline: compact({
      id: requireString(payload, 'run.id'),
      // The workflow file (`ci.yml`): the payload carries no workflow display name.
      name: requireString(payload, 'run.workflow_id'),
      number: optionalInteger(payload, 'run.index_in_repo'),
      url: optionalString(payload, 'run.html_url'),
    }),
    actor: personOf({
      login: optionalString(payload, 'run.trigger_user.login'),
      name: optionalString(payload, 'run.trigger_user.full_name'),
      email: optionalString(payload, 'run.trigger_user.email'),
    }),
    createdAt: forgeTimestamp(payload, 'run.created'),
    startedAt,
    finishedAt,
    durationMs: durationOf(payload, startedAt, finishedAt),
  });
}

/**
 * Forgejo webhooks: Actions run notifications (`action_run_success`, `action_run_failure`,
 * `action_run_recover`), and a Gitea-style commit `status` event should the instance send one.
 */
export const forgejoProvider: Provider = createForgeProvider({
  label: 'Forgejo',
  // Forgejo signs X-Forgejo-Signature and, for Gitea compatibility, X-Gitea-Signature with the same value.
  signatureHeaders: ['x-forgejo-signature', 'x-gitea-signature'],
  deliveryHeaders: ['x-forgejo-delivery', 'x-gitea-delivery'],
  eventHeaders: ['x-forgejo-event-type', 'x-forgejo-event', 'x-gitea-event-type', 'x-gitea-event'],
  events: {
    action_run_success: actionRun,
    action_run_failure: actionRun,
    // Sent after action_run_success when the run before it had not succeeded: the same run and status
    // again, which the router deduplicates; it computes `fixed` itself from the run's history.
    action_run_recover: actionRun,
    status: commitStatus,
  },
});

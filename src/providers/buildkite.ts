import { createHmac, timingSafeEqual } from 'node:crypto';
import type { CiEventBody, CiStatus } from '../event/ci-event-schema';
import { safeEqual } from '../verify/safe-equal';
import type { AuthFailure, NormalizeResult, Provider, WebhookRequest } from './provider';
import { parseGitRemote } from './parse-git-remote';
import { PayloadError } from './payload-error';
import {
  compact,
  durationBetween,
  optionalInteger,
  optionalString,
  optionalStrings,
  optionalTimestamp,
  requireObject,
  requireString,
} from './read-payload';

/** How far `X-Buildkite-Signature`'s timestamp may be from now: Buildkite's suggested replay window. */
const replayWindowMs = 5 * 60 * 1000;

/**
 * Buildkite build states. https://buildkite.com/docs/pipelines/configure/defining-steps#build-states
 * and the REST API's build `state`: https://buildkite.com/docs/apis/rest-api/builds
 */
export const buildkiteBuildStates: ReadonlyMap<string, CiStatus> = new Map<string, CiStatus>([
  ['creating', 'queued'],
  ['scheduled', 'queued'],
  ['waiting', 'queued'],
  ['running', 'running'],
  // `build.failing`: a job failed hard while others still run. The build has not finished; its
  // build.finished follows with `failed`, and only that one may count as the run's failure.
  ['failing', 'running'],
  ['passed', 'success'],
  ['failed', 'failure'],
  ['waiting_failed', 'failure'],
  // Stopped at a block step until someone unblocks it.
  ['blocked', 'waiting'],
  // The outcome is settled; only the jobs' processes are still being stopped.
  ['canceling', 'cancelled'],
  ['canceled', 'cancelled'],
  // Superseded by a newer build of the branch (build skipping).
  ['skipped', 'skipped'],
  // Every step was skipped by its `if` or branch filter.
  ['not_run', 'skipped'],
]);

/**
 * Buildkite job states. https://buildkite.com/docs/pipelines/configure/defining-steps#job-states
 * (the REST API, and so webhooks, say `passed` / `failed` where the lifecycle says `finished`).
 */
export const buildkiteJobStates: ReadonlyMap<string, CiStatus> = new Map<string, CiStatus>([
  ['pending', 'queued'],
  // Behind a wait step.
  ['waiting', 'queued'],
  ['limiting', 'queued'],
  ['limited', 'queued'],
  ['platform_limiting', 'queued'],
  ['platform_limited', 'queued'],
  ['scheduled', 'queued'],
  ['assigned', 'queued'],
  ['accepted', 'queued'],
  ['running', 'running'],
  ['passed', 'success'],
  ['failed', 'failure'],
  ['timing_out', 'failure'],
  ['timed_out', 'failure'],
  ['canceling', 'cancelled'],
  ['canceled', 'cancelled'],
  // A block step waiting for a person.
  ['blocked', 'waiting'],
  // A block step someone released (job.activated): it did what it is for.
  ['unblocked', 'success'],
  // The `_failed` states name where a wait or block job stood when the build failed around it: the
  // first two never ran, the last had already been released. The failing job reports the failure.
  ['waiting_failed', 'skipped'],
  ['blocked_failed', 'skipped'],
  ['unblocked_failed', 'success'],
  // Skipped by something outside the build (a newer build); broken by its own `if` or branch filter.
  ['skipped', 'skipped'],
  ['broken', 'skipped'],
  // No agent picked it up before the scheduled-job expiry: the CI broke, not the code.
  ['expired', 'error'],
]);

type StatusPair = Pick<CiEventBody, 'status' | 'providerStatus'>;

/** A state outside the table: an error once the event says it finished, a PayloadError before that. */
function lookup(
  table: ReadonlyMap<string, CiStatus>,
  state: string,
  path: string,
  finished: boolean,
): CiStatus {
  const status = table.get(state);
  if (status !== undefined) return status;
  if (finished) return 'error';
  throw new PayloadError(`payload field "${path}" has unknown value "${state}"`, path);
}

function buildStatus(payload: unknown, event: string): StatusPair {
  const state = requireString(payload, 'build.state');
  // A build stopped at a block step keeps its last state (often `passed`), sets `blocked`, and still
  // sends build.finished; it is waiting for a person, not done.
  // https://buildkite.com/docs/apis/webhooks/pipelines/build-events#finding-out-if-a-build-is-blocked
  if (state !== 'blocked' && readBoolean(payload, 'build', 'blocked')) {
    return { status: 'waiting', providerStatus: `${state} (blocked)` };
  }
  return {
    status: lookup(buildkiteBuildStates, state, 'build.state', event === 'build.finished'),
    providerStatus: state,
  };
}

function jobStatus(payload: unknown, event: string): StatusPair {
  const state = requireString(payload, 'job.state');
  // A soft failure is allowed to fail: the build passes regardless, so it must not read as broken.
  // https://buildkite.com/docs/pipelines/configure/step-types/command-step#soft-fail-attributes
  if (state === 'failed' && readBoolean(payload, 'job', 'soft_failed')) {
    return { status: 'success', providerStatus: 'soft_failed' };
  }
  // GraphQL-era payloads say `finished` for every completed job; the exit status tells which way.
  if (state === 'finished') {
    const exit = optionalString(payload, 'job.exit_status');
    return { status: exit === undefined || exit === '0' ? 'success' : 'failure', providerStatus: state };
  }
  return {
    status: lookup(buildkiteJobStates, state, 'job.state', event === 'job.finished'),
    providerStatus: state,
  };
}

function readBoolean(payload: unknown, object: string, key: string): boolean {
  return requireObject(payload, object)[key] === true;
}

function repositoryOf(payload: unknown): CiEventBody['repository'] {
  const git = parseGitRemote(optionalString(payload, 'pipeline.repository'));
  return compact({
    // The source-control connection names the repository outright; the git URL is the fallback.
    name:
      optionalString(payload, 'pipeline.provider.settings.repository') ??
      git?.path ??
      requireString(payload, 'pipeline.slug'),
    url: git?.web,
  });
}

/** Web URLs of a commit and a pull request, for the hosts whose URL layout is known. */
function hostPaths(payload: unknown): { commit: string; pull: string } | undefined {
  switch (optionalString(payload, 'pipeline.provider.id')) {
    case 'github':
    case 'github_enterprise':
      return { commit: 'commit', pull: 'pull' };
    case 'gitlab':
    case 'gitlab_ee':
      return { commit: '-/commit', pull: '-/merge_requests' };
    case 'bitbucket':
      return { commit: 'commits', pull: 'pull-requests' };
    default:
      return undefined;
  }
}

type Person = NonNullable<CiEventBody['actor']>;

function personOf(payload: unknown, path: string): Person | undefined {
  const person = compact({
    login: optionalString(payload, `${path}.username`),
    name: optionalString(payload, `${path}.name`),
    email: optionalString(payload, `${path}.email`),
  });
  return Object.keys(person).length > 0 ? person : undefined;
}

/** The fields build and job events share: all from the build and its pipeline. */
function buildFields(payload: unknown) {
  const repository = repositoryOf(payload);
  const paths = hostPaths(payload);
  const sha = requireString(payload, 'build.commit');
  const prNumber = optionalInteger(payload, 'build.pull_request.id');
  const tag = optionalString(payload, 'build.tag');
  return {
    repository,
    // A tag build also names the tag as its branch.
    ...(tag === undefined ? { branch: optionalString(payload, 'build.branch') } : { tag }),
    pullRequest:
      prNumber === undefined
        ? undefined
        : compact({
            number: prNumber,
            url: repository.url && paths && `${repository.url}/${paths.pull}/${prNumber}`,
          }),
    commit: compact({
      sha,
      message: optionalString(payload, 'build.message'),
      // `HEAD` is what a build started without a commit says; it has no page of its own.
      url: sha !== 'HEAD' && repository.url && paths ? `${repository.url}/${paths.commit}/${sha}` : undefined,
      author: personOf(payload, 'build.author'),
    }),
    pipeline: compact({
      id: requireString(payload, 'build.id'),
      name: optionalString(payload, 'pipeline.name') ?? requireString(payload, 'pipeline.slug'),
      number: optionalInteger(payload, 'build.number'),
      url: optionalString(payload, 'build.web_url'),
    }),
    // `sender` is whoever set up the webhook, not who started the build, so it is not the actor.
    // https://buildkite.com/docs/apis/webhooks/pipelines/build-events#request-body-data
    actor: personOf(payload, 'build.creator') ?? personOf(payload, 'build.author'),
  };
}

function times(payload: unknown, object: string) {
  const startedAt = optionalTimestamp(payload, `${object}.started_at`);
  const finishedAt = optionalTimestamp(payload, `${object}.finished_at`);
  return {
    createdAt: optionalTimestamp(payload, `${object}.created_at`),
    startedAt,
    finishedAt,
    durationMs: durationBetween(startedAt, finishedAt),
  };
}

// https://buildkite.com/docs/apis/webhooks/pipelines/build-events
function buildEvent(payload: unknown, event: string): CiEventBody {
  return compact({
    kind: 'pipeline' as const,
    ...buildStatus(payload, event),
    ...buildFields(payload),
    ...times(payload, 'build'),
  });
}

// https://buildkite.com/docs/apis/webhooks/pipelines/job-events
function jobEvent(payload: unknown, event: string): CiEventBody {
  const name =
    optionalString(payload, 'job.name') ??
    optionalString(payload, 'job.label') ??
    optionalString(payload, 'job.step_key');
  if (name === undefined) throw new PayloadError('payload field "job.name" is missing', 'job.name');
  const fields = buildFields(payload);
  return compact({
    kind: 'job' as const,
    ...jobStatus(payload, event),
    ...fields,
    job: compact({
      id: requireString(payload, 'job.id'),
      name,
      url: optionalString(payload, 'job.web_url'),
      stage: optionalString(payload, 'job.group_key'),
      runnerLabels: optionalStrings(payload, 'job.agent_query_rules'),
    }),
    // Whoever unblocked a block step is who moved the build on.
    actor: personOf(payload, 'job.unblocked_by') ?? fields.actor,
    ...times(payload, 'job'),
  });
}

/** `X-Buildkite-Signature: timestamp=<unix seconds>,signature=<hex HMAC-SHA256 of "timestamp.body">`. */
function verifySignature(
  header: string,
  body: Buffer,
  secrets: readonly string[],
  nowMs: number,
): AuthFailure | undefined {
  const parts = new Map(
    header.split(',').map((part) => {
      const i = part.indexOf('=');
      return [part.slice(0, i).trim(), part.slice(i + 1).trim()] as const;
    }),
  );
  const timestamp = parts.get('timestamp') ?? '';
  const offered = parts.get('signature') ?? '';
  const bad = {
    code: 'bad_signature',
    message: 'X-Buildkite-Signature does not match any configured secret',
  } as const;
  if (!/^\d{1,12}$/.test(timestamp) || !/^[0-9a-f]{64}$/i.test(offered)) return bad;
  const offeredBytes = Buffer.from(offered, 'hex');
  const signed = Buffer.concat([Buffer.from(`${timestamp}.`), body]);
  const matches = secrets.some((secret) =>
    timingSafeEqual(offeredBytes, createHmac('sha256', secret).update(signed).digest()),
  );
  if (!matches) return bad;
  // Checked after the signature, so only a timestamp Buildkite really signed is called stale.
  // https://buildkite.com/docs/apis/webhooks/pipelines#webhook-signature-defending-against-replay-attacks
  if (Math.abs(nowMs - Number(timestamp) * 1000) > replayWindowMs) {
    return {
      code: 'stale_signature',
      message: 'X-Buildkite-Signature timestamp is more than 5 minutes from now',
    };
  }
  return undefined;
}

/**
 * Buildkite sends either `X-Buildkite-Token` or `X-Buildkite-Signature`, as the webhook's Token setting
 * says. https://buildkite.com/docs/apis/webhooks/pipelines#http-headers
 * A source with `secrets` requires the signature: a token alone would give up the body's integrity
 * and the replay window. With `token` as well, a token header sent alongside must match too.
 */
function verifyBuildkite(
  request: WebhookRequest,
  token: string | undefined,
  secrets: readonly string[],
  nowMs: number,
): AuthFailure | undefined {
  const signature = request.headers['x-buildkite-signature'] ?? '';
  const offeredToken = request.headers['x-buildkite-token'] ?? '';
  if (signature === '' && offeredToken === '') {
    return {
      code: 'missing_signature',
      message: 'X-Buildkite-Signature or X-Buildkite-Token header is required',
    };
  }
  if (secrets.length > 0) {
    if (signature === '') {
      return {
        code: 'bad_signature',
        message: 'this source requires X-Buildkite-Signature, not X-Buildkite-Token',
      };
    }
    const failure = verifySignature(signature, request.rawBody, secrets, nowMs);
    if (failure !== undefined || offeredToken === '' || token === undefined) return failure;
  } else if (offeredToken === '') {
    return {
      code: 'bad_signature',
      message: 'this source requires X-Buildkite-Token, not X-Buildkite-Signature',
    };
  }
  if (token === undefined || !safeEqual(offeredToken, token)) {
    return { code: 'bad_signature', message: 'X-Buildkite-Token does not match the configured token' };
  }
  return undefined;
}

/** Buildkite Pipelines webhooks: build.* and job.* events, and ping. */
export const buildkiteProvider: Provider = {
  auth: ['token', 'secrets'],
  contentTypes: ['application/json'],
  verify: (request, source, nowMs) => verifyBuildkite(request, source.token, source.secrets ?? [], nowMs),
  // Buildkite documents no delivery id (requests carry an undocumented, per-request
  // X-Buildkite-Request), so a digest of the body recognizes the same event sent twice.
  deliveryHeaders: [],
  deliveryId: () => undefined,
  normalize(request, payload): NormalizeResult {
    const event = request.headers['x-buildkite-event'] || optionalString(payload, 'event');
    if (event === undefined) throw new PayloadError('X-Buildkite-Event header is missing', 'event');
    switch (event) {
      case 'ping':
        return { type: 'ping' };
      case 'build.scheduled':
      case 'build.running':
      case 'build.failing':
      case 'build.finished':
        return { type: 'events', events: [buildEvent(payload, event)] };
      case 'job.scheduled':
      case 'job.started':
      case 'job.finished':
      case 'job.activated':
        return { type: 'events', events: [jobEvent(payload, event)] };
      default:
        return { type: 'ignored', reason: `Buildkite event "${event}" is not a CI status event` };
    }
  },
};

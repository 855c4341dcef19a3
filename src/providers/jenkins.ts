import type { CiEventBody, CiStatus } from '../event/ci-event-schema';
import { verifyBasicAuth } from '../verify/verify-basic-auth';
import { verifyStandardWebhookRequest } from '../verify/verify-standard-webhook-request';
import { parseGitRemote } from './parse-git-remote';
import { PayloadError } from './payload-error';
import type { NormalizeResult, Provider } from './provider';
import {
  compact,
  isoFromMs,
  optionalInteger,
  optionalString,
  requireObject,
  requireString,
  splitRef,
} from './read-payload';

// The Notification plugin's JSON (Gson, lower_case_with_underscores): JobState { name, display_name, url,
// build: BuildState { full_url, number, queue_id, phase, status, url, scm: ScmState, parameters, log,
// notes, artifacts, test_summary, timestamp, duration } }.
// https://plugins.jenkins.io/notification/ and jenkinsci/notification-plugin src/main/java/.../model/

/** Build phases that are not over yet; `status` (the build's Result) is only set once it is. */
export const jenkinsPhases: ReadonlyMap<string, CiStatus> = new Map<string, CiStatus>([
  // Sent as the build leaves the queue, with the time it entered it.
  ['QUEUED', 'queued'],
  ['STARTED', 'running'],
]);

/** Phases sent once the build is over: COMPLETED when it ends, FINALIZED after post-build work. */
const finishedPhases: ReadonlySet<string> = new Set(['COMPLETED', 'FINALIZED']);

/**
 * Jenkins' build results (hudson.model.Result), as COMPLETED / FINALIZED carry them in `build.status`.
 * https://javadoc.jenkins.io/hudson/model/Result.html
 */
export const jenkinsResults: ReadonlyMap<string, CiStatus> = new Map<string, CiStatus>([
  ['SUCCESS', 'success'],
  // Unstable: the build ran but its test reports (or a quality gate) failed. It is not green and a fix turns
  // it green, so it reads as a failure (broken / fixed); providerStatus keeps UNSTABLE for those who care.
  ['UNSTABLE', 'failure'],
  ['FAILURE', 'failure'],
  // Not built: the build stopped before building, e.g. an earlier stage of a multi-stage build failed.
  ['NOT_BUILT', 'skipped'],
  ['ABORTED', 'cancelled'],
]);

/**
 * The plugin's `timestamp`: `yyyy-MM-dd'T'HH:mm:ss.S` plus `+00:00`, where Java's `.S` writes the
 * milliseconds without padding (5 ms is `.5`), so it must not be read as a decimal fraction.
 */
function jenkinsTimestamp(payload: unknown, path: string): string | undefined {
  const value = optionalString(payload, path) ?? '';
  const match = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,3}))?(?:Z|([+-]\d{2}):?(\d{2}))$/.exec(
    value,
  );
  if (!match) return undefined;
  const [, seconds, millis = '0', zoneHours, zoneMinutes] = match;
  const zone = zoneHours === undefined ? 'Z' : `${zoneHours}:${zoneMinutes ?? '00'}`;
  return isoFromMs(Date.parse(`${seconds}.${millis.padStart(3, '0')}${zone}`));
}

/** `job/team/job/web/` (the job's URL path) becomes `team/web`, Jenkins' full job name across folders. */
function fullJobName(url: string | undefined): string | undefined {
  const parts = url?.replace(/^\/+|\/+$/g, '').split('/');
  if (parts === undefined || parts.length < 2 || parts.length % 2 !== 0) return undefined;
  const names: string[] = [];
  for (let i = 0; i < parts.length; i += 2) {
    const name = parts[i + 1];
    if (parts[i] !== 'job' || name === undefined || name === '') return undefined;
    try {
      names.push(decodeURIComponent(name));
    } catch {
      return undefined;
    }
  }
  return names.join('/');
}

/** The repository a build's SCM remote names; the job name when it has none. */
function repositoryOf(
  remote: { path: string; web?: string } | undefined,
  jobName: string,
): CiEventBody['repository'] {
  return remote ? compact({ name: remote.path, url: remote.web }) : { name: jobName };
}

/** `origin/main` and `refs/remotes/origin/main` (GIT_BRANCH) become `main`; `refs/tags/v1` a tag. */
function refOf(branch: string | undefined): { branch?: string; tag?: string } {
  return splitRef(branch?.replace(/^refs\/remotes\//, '').replace(/^origin\//, ''));
}

function statusOf(payload: unknown, phase: string): Pick<CiEventBody, 'status' | 'providerStatus'> {
  const unfinished = jenkinsPhases.get(phase);
  if (unfinished !== undefined) return { status: unfinished, providerStatus: phase };
  const result = requireString(payload, 'build.status');
  // Result is a closed set in Jenkins; anything else still means the build is over: `error` gets it noticed.
  return { status: jenkinsResults.get(result) ?? 'error', providerStatus: `${phase}/${result}` };
}

/** When the build was queued, started and finished, as far as this phase's timestamp and duration tell. */
function timesOf(payload: unknown, phase: string) {
  const at = jenkinsTimestamp(payload, 'build.timestamp');
  if (phase === 'QUEUED') return { createdAt: at };
  if (phase === 'STARTED') return { startedAt: at };
  const duration = optionalInteger(payload, 'build.duration');
  const durationMs = duration !== undefined && duration > 0 ? duration : undefined;
  // COMPLETED is stamped start + duration; FINALIZED with the moment it was finalized, later than the end.
  const startedAt =
    phase === 'COMPLETED' && at !== undefined && durationMs !== undefined
      ? isoFromMs(Date.parse(at) - durationMs)
      : undefined;
  return { startedAt, finishedAt: at, durationMs };
}

function build(payload: unknown, phase: string): CiEventBody {
  requireObject(payload, 'build');
  const number = optionalInteger(payload, 'build.number');
  const jobName = fullJobName(optionalString(payload, 'url')) ?? requireString(payload, 'name');
  const scmUrl = optionalString(payload, 'build.scm.url');
  const fullUrl = optionalString(payload, 'build.full_url');
  return compact({
    kind: 'pipeline' as const,
    ...statusOf(payload, phase),
    repository: repositoryOf(parseGitRemote(scmUrl), jobName),
    ...refOf(optionalString(payload, 'build.scm.branch')),
    // The plugin only knows the commit of a Git checkout; a CiEvent cannot be without one.
    commit: { sha: requireString(payload, 'build.scm.commit') },
    pipeline: compact({
      // The build's URL is the same in every phase and, unlike the job's short name, unique across folders.
      id:
        fullUrl ??
        optionalString(payload, 'build.url') ??
        `${jobName}#${requireString(payload, 'build.number')}`,
      name: jobName,
      number,
      url: fullUrl,
    }),
    ...timesOf(payload, phase),
  });
}

/**
 * Jenkins, through the Notification plugin's JSON (or the same JSON posted by a pipeline step). Jenkins
 * cannot sign: the plugin sends HTTP Basic credentials from the endpoint URL; a pipeline step can sign
 * with Standard Webhooks. Every configured mechanism must pass.
 */
export const jenkinsProvider: Provider = {
  auth: ['basicAuth', 'secrets'],
  secretKind: 'standard-webhooks',
  contentTypes: ['application/json'],
  verify(request, source, nowMs) {
    if (source.basicAuth === undefined && source.secrets === undefined) {
      return { code: 'bad_signature', message: 'no basicAuth or secrets are configured to check against' };
    }
    if (source.basicAuth !== undefined) {
      const header = request.headers['authorization'];
      if (header === undefined || header === '') {
        return { code: 'missing_signature', message: 'Authorization: Basic header is required' };
      }
      if (!verifyBasicAuth(header, source.basicAuth)) {
        return { code: 'bad_signature', message: 'Basic credentials do not match the configured ones' };
      }
    }
    if (source.secrets !== undefined) return verifyStandardWebhookRequest(request, source.secrets, nowMs);
    return undefined;
  },
  // The plugin sends no delivery id, so the relay digests the body; each phase's body differs (phase,
  // timestamp). A Standard Webhooks sender's webhook-id is its delivery id.
  deliveryHeaders: ['webhook-id'],
  deliveryId: (request) => request.headers['webhook-id'] || undefined,
  normalize(_request, payload): NormalizeResult {
    const phase = requireString(payload, 'build.phase');
    // NONE: the `notifyEndpoints` pipeline step asked to send no build phase.
    if (phase === 'NONE') return { type: 'ignored', reason: 'Jenkins phase "NONE" carries no build state' };
    if (!jenkinsPhases.has(phase) && !finishedPhases.has(phase)) {
      throw new PayloadError(`payload field "build.phase" has unknown value "${phase}"`, 'build.phase');
    }
    // COMPLETED and FINALIZED both carry the result. Both are normalized: an endpoint set to notify only on
    // "failed" or "finalized" gets FINALIZED alone, and for one that gets both the router drops the repeat.
    return { type: 'events', events: [build(payload, phase)] };
  },
};

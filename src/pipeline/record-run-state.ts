import { failingStatuses } from '../event/failing-statuses';
import { seriesKey } from '../event/run-identity';
import type { Redis } from 'ioredis';
import type { CiEvent, CiStatus, Transition } from '../event/ci-event-schema';
import { defineScript } from '../redis/define-script';

// Atomically swaps the last finished status of a run series, counts failures in a row, and returns what
// came before. A retried router job (same event id) gets the same answer as the first time rather than
// comparing with itself.
const swapScript = `
local current = redis.call('GET', KEYS[1])
local state = nil
if current then state = cjson.decode(current) end
if state and state.eventId == ARGV[1] then
  return cjson.encode({ previous = state.previous, failures = state.failures or 0,
    previousFailures = state.previousFailures or 0, previousSha = state.previousSha or '' })
end
local previous, previousFailures, previousSha = '', 0, ''
if state then
  previous = state.status
  previousFailures = state.failures or 0
  previousSha = state.sha or ''
end
local failures = 0
if ARGV[4] == '1' then failures = previousFailures + 1 end
redis.call('SET', KEYS[1], cjson.encode({ status = ARGV[2], eventId = ARGV[1], previous = previous,
  failures = failures, previousFailures = previousFailures, sha = ARGV[5], previousSha = previousSha }), 'EX', ARGV[3])
return cjson.encode({ previous = previous, failures = failures, previousFailures = previousFailures,
  previousSha = previousSha })
`;

/** What the router learns from a finished pipeline's place in its series. */
export interface RunState {
  transition: Transition;
  /** Failures in a row, this one included (0 when this one passed). */
  failures: number;
  /** Failures in a row before this one. */
  previousFailures: number;
  /** This run passed on the same commit the previous one failed on: a re-run that went green. */
  flaky: boolean;
}

/** The transition from the previous finished status of a run series to this one. */
export function transitionBetween(previous: string, current: CiStatus): Transition {
  const wasFailing = failingStatuses.has(previous as CiStatus);
  if (failingStatuses.has(current)) return wasFailing ? 'still_failing' : 'broken';
  return wasFailing ? 'fixed' : 'passed';
}

/** The key of a series' last finished status. */
export function runSeriesKey(prefix: string, event: CiEvent): string {
  return `${prefix}:run-series:${seriesKey(event)}`;
}

/** Whether the router records `event` in its series' history: finished pipelines that say something about health. */
export function changesRunState(event: CiEvent): boolean {
  return event.kind === 'pipeline' && (event.status === 'success' || failingStatuses.has(event.status));
}

/**
 * The transition `event` would have, read without recording it (route tests). A retried event (the same
 * id as the last recorded one) compares with what came before it, as the router does.
 */
export async function peekTransition(
  redis: Redis,
  prefix: string,
  event: CiEvent,
): Promise<Transition | undefined> {
  return (await peekRunState(redis, prefix, event))?.transition;
}

/** The transition and failures in a row `event` would have, read without recording it (route tests). */
export async function peekRunState(
  redis: Redis,
  prefix: string,
  event: CiEvent,
): Promise<{ transition: Transition; failures: number; previousFailures: number } | undefined> {
  if (!changesRunState(event)) return undefined;
  const json = await redis.get(runSeriesKey(prefix, event));
  const state = json
    ? (JSON.parse(json) as {
        status: string;
        eventId: string;
        previous: string;
        failures?: number;
        previousFailures?: number;
      })
    : undefined;
  const retried = state?.eventId === event.id;
  const previous = state ? (retried ? state.previous : state.status) : '';
  const previousFailures = (retried ? state?.previousFailures : state?.failures) ?? 0;
  const failures = failingStatuses.has(event.status) ? previousFailures + 1 : 0;
  return { transition: transitionBetween(previous, event.status), failures, previousFailures };
}

/** Records a finished pipeline in its series' history and returns its state there; undefined for other events. */
export type RecordRunState = (event: CiEvent) => Promise<RunState | undefined>;

/**
 * History is kept per (provider, repository, pipeline name, branch): "broken" means the last finished
 * run of the same workflow on the same branch passed and this one failed. Cancelled and skipped runs
 * say nothing about health and leave the history alone.
 */
export function createRunStateRecorder(deps: {
  redis: Redis;
  prefix: string;
  ttlSeconds?: number;
}): RecordRunState {
  const { redis, prefix, ttlSeconds = 90 * 24 * 3600 } = deps;
  const swap = defineScript(redis, 'ciRelaySwapRunState', 1, swapScript);
  return async (event) => {
    if (!changesRunState(event)) return undefined;
    const key = runSeriesKey(prefix, event);
    const failing = failingStatuses.has(event.status);
    const answer = JSON.parse(
      (await swap(
        [key],
        [event.id, event.status, ttlSeconds, failing ? '1' : '0', event.commit.sha],
      )) as string,
    ) as { previous: string; failures: number; previousFailures: number; previousSha: string };
    return {
      transition: transitionBetween(answer.previous, event.status),
      failures: answer.failures,
      previousFailures: answer.previousFailures,
      flaky:
        event.status === 'success' &&
        failingStatuses.has(answer.previous as CiStatus) &&
        answer.previousSha === event.commit.sha,
    };
  };
}

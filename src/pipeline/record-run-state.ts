import { failingStatuses } from '../event/failing-statuses';
import { seriesKey } from '../event/run-identity';
import type { Redis } from 'ioredis';
import type { CiEvent, CiStatus, Transition } from '../event/ci-event-schema';
import { defineScript } from '../redis/define-script';

// Atomically swaps the last finished status of a run series and returns the previous one. A retried
// router job (same event id) gets the same answer as the first time rather than comparing with itself.
const swapScript = `
local current = redis.call('GET', KEYS[1])
if current then
  local state = cjson.decode(current)
  if state.eventId == ARGV[1] then return state.previous end
  redis.call('SET', KEYS[1], cjson.encode({ status = ARGV[2], eventId = ARGV[1], previous = state.status }), 'EX', ARGV[3])
  return state.status
end
redis.call('SET', KEYS[1], cjson.encode({ status = ARGV[2], eventId = ARGV[1], previous = '' }), 'EX', ARGV[3])
return ''
`;

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
  if (!changesRunState(event)) return undefined;
  const json = await redis.get(runSeriesKey(prefix, event));
  const state = json
    ? (JSON.parse(json) as { status: string; eventId: string; previous: string })
    : undefined;
  const previous = state ? (state.eventId === event.id ? state.previous : state.status) : '';
  return transitionBetween(previous, event.status);
}

/** Records a finished pipeline in its series' history and returns its transition; undefined for other events. */
export type RecordRunState = (event: CiEvent) => Promise<Transition | undefined>;

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
    const previous = (await swap([key], [event.id, event.status, ttlSeconds])) as string;
    return transitionBetween(previous, event.status);
  };
}

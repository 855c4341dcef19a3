import type { Redis } from 'ioredis';
import type { CiEvent } from '../event/ci-event-schema';
import { seriesKey } from '../event/run-identity';
import { formatMs } from '../routing/noise-gates';

/** When each (series, route, sink) was last told of a failure, for routes' `repeatInterval`. */
export interface RepeatState {
  /** Why a `still_failing` of `event` is not sent again yet, or undefined. */
  held(
    event: CiEvent,
    route: string,
    sink: string,
    intervalMs: number,
    nowMs: number,
  ): Promise<string | undefined>;
  /** Remembers that a failure of `event`'s series was sent through (route, sink) at `nowMs`. */
  sent(event: CiEvent, route: string, sink: string, nowMs: number): Promise<void>;
}

/** {@link RepeatState} in Redis, one key per (series, route, sink), kept `ttlSeconds`. */
export function createRepeatState(deps: { redis: Redis; prefix: string; ttlSeconds?: number }): RepeatState {
  const { redis, prefix, ttlSeconds = 30 * 24 * 3600 } = deps;
  const keyOf = (event: CiEvent, route: string, sink: string) =>
    `${prefix}:repeat:${seriesKey(event)}:${route}:${sink}`;
  return {
    async held(event, route, sink, intervalMs, nowMs) {
      const json = await redis.get(keyOf(event, route, sink));
      if (json === null) return undefined;
      const last = JSON.parse(json) as { eventId: string; at: number };
      // A retried routing job of the event that was sent is the same notification, not a repeat.
      if (last.eventId === event.id || nowMs - last.at >= intervalMs) return undefined;
      return `still failing; last notified ${formatMs(nowMs - last.at)} ago (repeatInterval ${formatMs(intervalMs)})`;
    },
    async sent(event, route, sink, nowMs) {
      await redis.set(
        keyOf(event, route, sink),
        JSON.stringify({ eventId: event.id, at: nowMs }),
        'EX',
        ttlSeconds,
      );
    },
  };
}

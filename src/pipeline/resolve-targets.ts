import type { Redis } from 'ioredis';
import type { CiEvent } from '../event/ci-event-schema';
import { seriesKey } from '../event/run-identity';
import { defineScript } from '../redis/define-script';

// Hands the sinks a route told of a failure to the series' fix, once: the set is emptied and what it
// held is kept with the fixing event's id, so a retried routing job of that event gets the same list.
const takeScript = `
if redis.call('HGET', KEYS[1], 'fixedBy') == ARGV[1] then return redis.call('HGET', KEYS[1], 'fixedSinks') end
local sinks = {}
for _, field in ipairs(redis.call('HKEYS', KEYS[1])) do
  if string.sub(field, 1, 5) == 'sink:' then
    table.insert(sinks, string.sub(field, 6))
    redis.call('HDEL', KEYS[1], field)
  end
end
local list = '[]'
if #sinks > 0 then list = cjson.encode(sinks) end
redis.call('HSET', KEYS[1], 'fixedBy', ARGV[1], 'fixedSinks', list)
redis.call('EXPIRE', KEYS[1], ARGV[2])
return list
`;

/** Which sinks each route told of a series' failure, so that its fix reaches them too (`sendResolved`). */
export interface ResolveTargets {
  /** Remembers that `route` notified `sink` of a failure of `event`'s series. */
  notified(event: CiEvent, route: string, sink: string): Promise<void>;
  /** The sinks `route` told of the series' failure since the last fix; forgets them (idempotent per fixing event). */
  takeForFix(event: CiEvent, route: string): Promise<string[]>;
}

/** {@link ResolveTargets} in one Redis hash per (series, route), kept `ttlSeconds` after its last change. */
export function createResolveTargets(deps: {
  redis: Redis;
  prefix: string;
  /** @defaultValue 90 days, as the series' history */
  ttlSeconds?: number;
}): ResolveTargets {
  const { redis, prefix, ttlSeconds = 90 * 24 * 3600 } = deps;
  const take = defineScript(redis, 'ciRelayTakeResolveTargets', 1, takeScript);
  const keyOf = (event: CiEvent, route: string) => `${prefix}:resolve:${seriesKey(event)}:${route}`;
  return {
    async notified(event, route, sink) {
      const key = keyOf(event, route);
      await Promise.all([redis.hset(key, `sink:${sink}`, '1'), redis.expire(key, ttlSeconds)]);
    },
    async takeForFix(event, route) {
      const list = JSON.parse(
        (await take([keyOf(event, route)], [event.id, ttlSeconds])) as string,
      ) as unknown;
      return Array.isArray(list) ? list.map(String) : [];
    },
  };
}

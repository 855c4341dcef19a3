import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { CiEvent } from '../event/ci-event-schema';
import { defineScript } from '../redis/define-script';

// Adds an event to the open window of its (route, sink, run) and answers the window's id; the first
// event opens the window (its id names it). An event that already joined (a retried routing job) is
// not added again. Keys share a hash tag, so they live in one Cluster slot.
const joinScript = `
if redis.call('SADD', KEYS[2], ARGV[2]) == 0 then
  local seen = redis.call('HGET', KEYS[3], ARGV[2])
  if seen then return seen end
end
redis.call('EXPIRE', KEYS[2], ARGV[4])
local window = redis.call('HGET', KEYS[1], 'window')
if not window then
  window = ARGV[1]
  redis.call('HSET', KEYS[1], 'window', window)
end
redis.call('HSET', KEYS[1], 'e:' .. ARGV[2], ARGV[3])
redis.call('EXPIRE', KEYS[1], ARGV[4])
redis.call('HSET', KEYS[3], ARGV[2], window)
redis.call('EXPIRE', KEYS[3], ARGV[4])
return window
`;

// Closes a window: answers its events and empties it, once; later calls for the same window answer
// the same events (a flush job retried after its worker died).
const flushScript = `
local done = redis.call('GET', KEYS[2])
if done then return done end
if redis.call('HGET', KEYS[1], 'window') ~= ARGV[1] then return '[]' end
local events = {}
local fields = redis.call('HGETALL', KEYS[1])
for i = 1, #fields, 2 do
  if string.sub(fields[i], 1, 2) == 'e:' then table.insert(events, fields[i + 1]) end
end
redis.call('DEL', KEYS[1])
local list = '[' .. table.concat(events, ',') .. ']'
redis.call('SET', KEYS[2], list, 'EX', ARGV[2])
return list
`;

/** Where one group's events wait: a (route, sink, run) and the window's id. */
export interface GroupRef {
  route: string;
  sink: string;
  /** The run's key: a digest of (source, repository, pipeline id, attempt). */
  run: string;
  window: string;
}

/** Job events of one run waiting out a route's `groupWait`, per sink, in Redis. */
export interface GroupStore {
  /** Adds `event` to its run's open window for (route, sink); resolves to the window. */
  join(event: CiEvent, route: string, sink: string): Promise<GroupRef>;
  /** Closes the window and resolves to its events, oldest first (the same answer on every call). */
  flush(ref: GroupRef): Promise<CiEvent[]>;
}

const digest = (parts: ReadonlyArray<string | number>) =>
  createHash('sha256').update(parts.join('\n')).digest('base64url').slice(0, 32);

/** A {@link GroupStore} under `prefix`; state is kept `ttlSeconds` (far longer than any wait). */
export function createGroupStore(deps: { redis: Redis; prefix: string; ttlSeconds?: number }): GroupStore {
  const { redis, prefix, ttlSeconds = 24 * 3600 } = deps;
  const joinGroup = defineScript(redis, 'ciRelayJoinGroup', 3, joinScript);
  const flushGroup = defineScript(redis, 'ciRelayFlushGroup', 2, flushScript);
  const base = (route: string, sink: string, run: string) =>
    `${prefix}:group:{${digest([route, sink, run])}}`;
  return {
    async join(event, route, sink) {
      const run = digest([
        event.source,
        event.repository.name,
        event.pipeline.id,
        event.pipeline.attempt ?? 1,
      ]);
      const key = base(route, sink, run);
      const window = (await joinGroup(
        [`${key}:open`, `${key}:joined`, `${key}:windows`],
        [digest([key, event.id]), event.id, JSON.stringify(event), ttlSeconds],
      )) as string;
      return { route, sink, run, window };
    },
    async flush(ref) {
      const key = base(ref.route, ref.sink, ref.run);
      const list = JSON.parse(
        (await flushGroup(
          [`${key}:open`, `${key}:flushed:${ref.window}`],
          [ref.window, ttlSeconds],
        )) as string,
      ) as CiEvent[];
      return list.sort(
        (a, b) => Date.parse(a.receivedAt) - Date.parse(b.receivedAt) || a.id.localeCompare(b.id),
      );
    },
  };
}

import type { Redis } from 'ioredis';
import type { RedisClient } from '../redis/keyspace';
import { defineScript, type RedisScript } from '../redis/define-script';

/**
 * The keys of one event queue (partition). Events travel from receiver to router through a Redis Stream
 * read by one consumer group, not a BullMQ queue: the hop needs no delays, priorities or backoff (BullMQ
 * stays for the delivery queues, which do), and a stream entry costs 5 Redis commands from append to
 * acknowledgement where a BullMQ job cost about 45 (docs/development.md has the measurements).
 *
 * Every key carries the queue name, braced on a cluster (`src/redis/keyspace.ts`), so the append script's
 * keys share one slot.
 */
export interface EventStreamKeys {
  /** The stream of events not yet routed (acknowledged entries are deleted). */
  stream: string;
  /** Events that failed routing too many times, with the last error (a stream too). */
  dead: string;
  /** The deduplication key of one (source, delivery id, position): holds the first event id. */
  dedup(id: string): string;
}

/** The consumer group every router reads in: each entry goes to one router. */
export const eventStreamGroup = 'router';

/** The keys of the event queue named `queueName` (`events`, `events-3`, `{events-3}` on a cluster). */
export function eventStreamKeys(prefix: string, queueName: string): EventStreamKeys {
  const base = `${prefix}:${queueName}`;
  return { stream: `${base}:stream`, dead: `${base}:dead`, dedup: (id) => `${base}:de:${id}` };
}

// KEYS[1] the stream, KEYS[2..n+1] one dedup key per event; ARGV[1] the dedup TTL in ms, then per event
// its id and its JSON. Returns, per event, the id the queue holds for its dedup key: its own when it was
// appended, the first delivery's when this is a redelivery. Atomic per call: all or nothing.
const appendScript = `
local ids = {}
for i = 2, #KEYS do
  local first = redis.call('GET', KEYS[i])
  if first then
    ids[i - 1] = first
  else
    local id = ARGV[2 * i - 2]
    redis.call('SET', KEYS[i], id, 'PX', ARGV[1])
    redis.call('XADD', KEYS[1], '*', 'id', id, 'd', ARGV[2 * i - 1])
    ids[i - 1] = id
  end
end
return ids
`;

/** One event to append: its id, its JSON and its deduplication id. */
export interface StreamEvent {
  id: string;
  json: string;
  dedupId: string;
}

/** Appends events to one event queue's stream in one atomic call, answering each event's queued id. */
export type AppendEvents = (
  keys: EventStreamKeys,
  events: readonly StreamEvent[],
  ttlMs: number,
) => Promise<string[]>;

/** Appends events to one event queue's stream in one atomic call; see {@link appendScript}. */
export function createStreamAppender(redis: RedisClient): AppendEvents {
  // ioredis defines commands on a Cluster the same way (typed for Redis in define-script).
  const append: RedisScript = defineScript(redis as Redis, 'ciRelayAppendEvents', undefined, appendScript);
  return async (keys, events, ttlMs) => {
    const keyList = [keys.stream, ...events.map((e) => keys.dedup(e.dedupId))];
    const args: Array<string | number> = [ttlMs];
    for (const e of events) args.push(e.id, e.json);
    return (await append([String(keyList.length), ...keyList], args)) as string[];
  };
}

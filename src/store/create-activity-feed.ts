import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { parseDelivery } from './delivery-record';
import { recordKeys } from './record-keys';
import type { StreamEntryType } from './stream-entry';
import { compareStreamIds } from './stream-id';
import { duplicateRedis } from '../pipeline/create-redis';

/** One entry of the activity stream. */
export interface FeedEntry {
  /** Its position in the Redis stream: the SSE `id`. */
  id: string;
  type: StreamEntryType;
  data: unknown;
}

/** Live and past entries of the activity stream that every instance writes to. */
export interface ActivityFeed {
  /** Calls `listener` with each new entry, in order, until the returned function is called. */
  subscribe(listener: (entry: FeedEntry) => void): () => void;
  /** The id of the newest entry, `0-0` when there is none. */
  tip(): Promise<string>;
  /** Every retained entry after `lastId`, or `reset` when some of them were trimmed. */
  since(lastId: string): Promise<FeedEntry[] | 'reset'>;
  close(): Promise<void>;
}

function toEntry([id, fields]: [string, string[]]): FeedEntry | undefined {
  const values: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) values[fields[i] as string] = fields[i + 1] as string;
  const type = values.t;
  if ((type !== 'ci-event' && type !== 'delivery') || values.d === undefined) return undefined;
  return {
    id,
    type,
    data: type === 'delivery' ? parseDelivery(values.d) : (JSON.parse(values.d) as unknown),
  };
}

/**
 * One reader per process follows the stream (XREAD BLOCK on a connection of its own) while anyone
 * listens and fans entries out in memory, so a thousand dashboard tabs cost one Redis connection.
 */
export function createActivityFeed(deps: {
  redis: Redis;
  prefix: string;
  log: Logger;
  /** @defaultValue 2000 */
  blockMs?: number;
}): ActivityFeed {
  const { redis, prefix, log, blockMs = 2000 } = deps;
  const key = recordKeys(prefix).stream;
  const listeners = new Set<(entry: FeedEntry) => void>();
  let reader: Redis | undefined;
  let running: Promise<void> | undefined;
  let closed = false;

  const tip = async () => (await redis.xrevrange(key, '+', '-', 'COUNT', 1))[0]?.[0] ?? '0-0';

  const follow = async (connection: Redis) => {
    let position = await tip().catch(() => '$');
    let failing = false;
    while (listeners.size > 0 && !closed) {
      let reply: Array<[string, Array<[string, string[]]>]> | null;
      try {
        reply = (await connection.xread(
          'COUNT',
          500,
          'BLOCK',
          blockMs,
          'STREAMS',
          key,
          position,
        )) as typeof reply;
      } catch (err) {
        if (closed) return;
        // Once per outage, not every half second while Redis is away.
        if (!failing)
          log.warn({ err: (err as Error).message }, '[stream] reading the activity stream failed; retrying');
        failing = true;
        await new Promise((r) => setTimeout(r, 500));
        continue;
      }
      if (failing) log.info('[stream] reading the activity stream again');
      failing = false;
      for (const [, entries] of reply ?? []) {
        for (const raw of entries) {
          position = raw[0];
          const entry = toEntry(raw);
          if (entry) for (const listener of listeners) listener(entry);
        }
      }
    }
  };

  const ensureRunning = () => {
    if (running || closed) return;
    if (!reader) {
      // A connection of its own that waits for Redis (XREAD BLOCK holds it), whatever the main one's options.
      reader = duplicateRedis(redis, {
        maxRetriesPerRequest: null,
        enableOfflineQueue: true,
        commandTimeout: blockMs + 5000,
      });
      reader.on('error', () => undefined);
    }
    const connection = reader;
    running = follow(connection).finally(() => {
      running = undefined;
      if (listeners.size > 0 && !closed) ensureRunning();
    });
  };

  return {
    subscribe(listener) {
      listeners.add(listener);
      ensureRunning();
      return () => void listeners.delete(listener);
    },
    tip,
    async since(lastId) {
      let info: unknown[];
      try {
        info = (await redis.xinfo('STREAM', key)) as unknown[];
      } catch {
        return []; // no stream yet: nothing was missed
      }
      const field = (name: string) => info[info.indexOf(name) + 1];
      // Entries after lastId are gone if one was deleted (XDEL) after it, or if trimming (which removes
      // the oldest) has reached past it: the first retained entry is newer and some were removed.
      const maxDeleted = field('max-deleted-entry-id');
      if (typeof maxDeleted === 'string' && compareStreamIds(lastId, maxDeleted) < 0) return 'reset';
      const first = field('first-entry') as [string, string[]] | null | undefined;
      const removed = Number(field('entries-added')) - Number(field('length'));
      if (first && compareStreamIds(first[0], lastId) > 0 && removed > 0) return 'reset';
      const out: FeedEntry[] = [];
      let start = `(${lastId}`;
      for (;;) {
        const batch = (await redis.xrange(key, start, '+', 'COUNT', 1000)) as Array<[string, string[]]>;
        for (const raw of batch) {
          const entry = toEntry(raw);
          if (entry) out.push(entry);
        }
        const last = batch.at(-1);
        if (batch.length < 1000 || !last) return out;
        start = `(${last[0]}`;
      }
    },
    async close() {
      closed = true;
      listeners.clear();
      reader?.disconnect();
      await running;
    },
  };
}

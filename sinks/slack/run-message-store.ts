import type { Redis } from 'ioredis';
import type { CiEvent } from '../../src/event/ci-event-schema';
import { createRedisLock } from '../../src/redis/create-redis-lock';
import { runKey } from '../../src/event/run-identity';

/** Where a run's message is and how far it is up to date. */
export interface RunMessage {
  /** Channel id Slack answered with (chat.update needs the id, not `#name`). */
  channel: string;
  ts: string;
  /** The run snapshot version the message was last rendered from. */
  renderedVersion: number;
  /**
   * Things already done for the run in this message's thread: `reply:<attempt>:<jobId>`,
   * `broadcast:<attempt>`, `mention:<attempt>` (the people behind the attempt's failure were mentioned),
   * `cc:<attempt>` (the message itself carries that mention), `fixed:<attempt>` (the "fixed" reply).
   */
  done: ReadonlySet<string>;
}

/** The Redis state of run messages for one sink: one hash per (run, channel), and a lock next to it. */
export interface RunMessageStore {
  /** The state key of `event`'s run in `channel` (as configured). */
  keyOf(event: CiEvent, channel: string): string;
  /** Takes the (run, channel) lock, waiting up to `waitMs`; resolves to a release function, or undefined when still held. */
  lock(key: string): Promise<(() => Promise<void>) | undefined>;
  read(key: string): Promise<RunMessage | undefined>;
  /** Records a newly posted message (forgetting what was done in the thread of any earlier one). */
  posted(key: string, message: { channel: string; ts: string; renderedVersion: number }): Promise<void>;
  /** Records that the message now shows snapshot `version`. */
  rendered(key: string, version: number): Promise<void>;
  /** Records thread actions (`reply:...`, `broadcast:...`, ...) as done. */
  markDone(key: string, ...what: string[]): Promise<void>;
}

const doneKinds = /^(?:reply|broadcast|mention|cc|fixed):/;

/** Options of {@link createRunMessageStore}. */
export interface RunMessageStoreOptions {
  redis: Redis;
  /** The sink's key prefix, e.g. `ci-relay:sink:team-slack`. */
  keyPrefix: string;
  /** @defaultValue 30 days after the run's last delivery */
  ttlSeconds?: number;
  /** How long a lock holds if its holder dies. @defaultValue 30 s */
  lockTtlMs?: number;
  /** How long to wait for a held lock before giving up. @defaultValue 5 s */
  lockWaitMs?: number;
}

/** Run message state in Redis hashes, so that any worker, before or after a restart, updates the same message. */
export function createRunMessageStore(options: RunMessageStoreOptions): RunMessageStore {
  const { redis, keyPrefix, ttlSeconds = 30 * 24 * 3600, lockTtlMs = 30_000, lockWaitMs = 5_000 } = options;
  const takeLock = createRedisLock(redis, { ttlMs: lockTtlMs, waitMs: lockWaitMs });
  const touch = (key: string, fields: Record<string, string>) =>
    redis.multi().hset(key, fields).expire(key, ttlSeconds).exec();
  return {
    keyOf(event, channel) {
      return `${keyPrefix}:run:${runKey(event)}:${channel}`;
    },
    lock: (key) => takeLock(`${key}:lock`),
    async read(key) {
      const hash = await redis.hgetall(key);
      if (hash.ts === undefined || hash.channel === undefined) return undefined;
      const done = new Set(Object.keys(hash).filter((field) => doneKinds.test(field)));
      return { channel: hash.channel, ts: hash.ts, renderedVersion: Number(hash.renderedVersion ?? 0), done };
    },
    async posted(key, message) {
      await redis
        .multi()
        .del(key)
        .hset(key, {
          channel: message.channel,
          ts: message.ts,
          renderedVersion: String(message.renderedVersion),
        })
        .expire(key, ttlSeconds)
        .exec();
    },
    async rendered(key, version) {
      await touch(key, { renderedVersion: String(version) });
    },
    async markDone(key, ...what) {
      await touch(key, Object.fromEntries(what.map((w) => [w, '1'])));
    },
  };
}

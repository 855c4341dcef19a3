import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { defineScript } from '../src/redis/define-script';

// Deletes the lock only if it is still ours: a lock that expired and was taken by another worker stays.
const releaseScript = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

/** Options of {@link createRedisLock}. */
export interface RedisLockOptions {
  /** How long a lock holds if its holder dies. */
  ttlMs: number;
  /** How long to wait for a held lock before giving up. @defaultValue 5 s */
  waitMs?: number;
}

/**
 * A lock per key in Redis (SET NX PX with a random token), so that one worker at a time works on a
 * run's message; resolves to a release function, or undefined when the lock stayed held for `waitMs`.
 */
export function createRedisLock(redis: Redis, options: RedisLockOptions) {
  const { ttlMs, waitMs = 5_000 } = options;
  const release = defineScript(redis, 'ciRelayReleaseLock', 1, releaseScript);
  return async (lockKey: string): Promise<(() => Promise<void>) | undefined> => {
    const token = randomUUID();
    const end = Date.now() + waitMs;
    for (let delay = 25; ; delay = Math.min(delay * 2, 250)) {
      if ((await redis.set(lockKey, token, 'PX', ttlMs, 'NX')) === 'OK') {
        return async () => {
          await release([lockKey], [token]);
        };
      }
      if (Date.now() + delay > end) return undefined;
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  };
}

import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { defineScript } from './define-script';

// Lets the lock go only if it is still ours (a lock that expired and was taken by another holder stays):
// at once (DEL), or after ARGV[2] ms (PEXPIRE), for a holder that keeps others out for a while yet.
const releaseScript = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  if tonumber(ARGV[2]) > 0 then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
  return redis.call('DEL', KEYS[1])
end
return 0
`;

/** Options of {@link createRedisLock}. */
export interface RedisLockOptions {
  /** How long a lock holds if its holder dies. */
  ttlMs: number;
  /** How long to wait for a held lock before giving up (0: try once). @defaultValue 5 s */
  waitMs?: number;
}

/**
 * Lets go of a lock: at once, or kept `keepMs` longer (so that, say, one instance of several does a
 * periodic job per interval).
 */
export type ReleaseLock = (keepMs?: number) => Promise<void>;

/**
 * A lock per key in Redis (SET NX PX with a random token), so that one holder at a time works on it (a
 * run's chat message, a retention pass); resolves to a release function, or undefined when the lock
 * stayed held for `waitMs`.
 */
export function createRedisLock(redis: Redis, options: RedisLockOptions) {
  const { ttlMs, waitMs = 5_000 } = options;
  const release = defineScript(redis, 'ciRelayReleaseLock', 1, releaseScript);
  return async (lockKey: string): Promise<ReleaseLock | undefined> => {
    const token = randomUUID();
    const end = Date.now() + waitMs;
    for (let delay = 25; ; delay = Math.min(delay * 2, 250)) {
      if ((await redis.set(lockKey, token, 'PX', ttlMs, 'NX')) === 'OK') {
        return async (keepMs = 0) => {
          await release([lockKey], [token, Math.max(0, Math.round(keepMs))]);
        };
      }
      if (Date.now() + delay > end) return undefined;
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  };
}

import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { RateLimitSettings } from '../config/relay-config';

/** The outcome of one request against a rate limit, with what the `RateLimit-*` headers say. */
export interface RateLimitDecision {
  allowed: boolean;
  /** Requests allowed per window. */
  limit: number;
  /** Requests left in the current window. */
  remaining: number;
  /** Seconds until the window resets (at least 1). */
  resetSeconds: number;
}

/** A fixed-window limit per key, counted in Redis so every instance shares it. */
export interface RedisRateLimiter {
  readonly settings: RateLimitSettings;
  /** Counts one request of `key` and says whether it is within the limit. */
  consume(key: string): Promise<RateLimitDecision>;
}

/**
 * A rate limiter on Redis (rate-limiter-flexible's `RateLimiterRedis` with the ioredis client). While
 * Redis cannot be reached it counts in this process's memory instead (the library's insurance limiter),
 * so a Redis outage neither opens nor closes the door. Counters live under `<keyPrefix>:<n>-<s>:<key>`,
 * so a changed limit starts from fresh counters.
 */
export function createRateLimiter(deps: {
  redis: Redis;
  keyPrefix: string;
  settings: RateLimitSettings;
}): RedisRateLimiter {
  const { redis, keyPrefix, settings } = deps;
  const points = settings.requests;
  const duration = settings.perSeconds;
  const limiter = new RateLimiterRedis({
    // ioredis: `useRedisPackage` stays false (it is for the `redis` package).
    storeClient: redis,
    useRedisPackage: false,
    keyPrefix: `${keyPrefix}:${points}-${duration}`,
    points,
    duration,
    insuranceLimiter: new RateLimiterMemory({ points, duration }),
  });
  const decision = (allowed: boolean, res: RateLimiterRes): RateLimitDecision => ({
    allowed,
    limit: points,
    remaining: Math.max(0, res.remainingPoints),
    resetSeconds: Math.max(1, Math.ceil(res.msBeforeNext / 1000)),
  });
  return {
    settings,
    consume: async (key) => {
      try {
        return decision(true, await limiter.consume(key));
      } catch (e) {
        if (e instanceof RateLimiterRes) return decision(false, e);
        throw e;
      }
    },
  };
}

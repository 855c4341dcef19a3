import type { Redis } from 'ioredis';
import type { ConfigStore } from '../config/config-store';
import { createRateLimiter, type RedisRateLimiter } from '../redis/create-rate-limiter';

/** Counts one webhook of a source against its `rateLimit`; always ok for a source without one. */
export type SourceRateLimit = (
  sourceId: string,
) => Promise<{ ok: true } | { ok: false; retryAfterSeconds: number }>;

/**
 * Per-source webhook rate limits (`sources[].rateLimit`, off by default), counted in Redis so every
 * receiver shares them. Follows the config as reloaded: a changed limit gets a new limiter.
 */
export function createSourceRateLimit(deps: {
  configStore: ConfigStore;
  redis: Redis;
  prefix: string;
}): SourceRateLimit {
  const { configStore, redis, prefix } = deps;
  const limiters = new Map<string, RedisRateLimiter>();
  return async (sourceId) => {
    const limit = configStore.current().sources.get(sourceId)?.rateLimit;
    if (!limit) return { ok: true };
    let limiter = limiters.get(sourceId);
    if (limiter?.settings.requests !== limit.requests || limiter.settings.perSeconds !== limit.perSeconds) {
      limiter = createRateLimiter({
        redis,
        keyPrefix: `${prefix}:rate-limit:source`,
        settings: { ...limit },
      });
      limiters.set(sourceId, limiter);
    }
    const decision = await limiter.consume(sourceId);
    return decision.allowed ? { ok: true } : { ok: false, retryAfterSeconds: decision.resetSeconds };
  };
}

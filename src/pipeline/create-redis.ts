import { Redis, type RedisOptions } from 'ioredis';

/**
 * An ioredis connection for `url` (`redis://`, `rediss://`, or `unix:///path/to/redis.sock`).
 * Producers fail fast while Redis is down, so a webhook gets 503 at once instead of hanging;
 * workers wait for Redis to come back (BullMQ requires `maxRetriesPerRequest: null` for them).
 */
export function createRedis(url: string, purpose: 'producer' | 'worker'): Redis {
  const options: RedisOptions =
    purpose === 'producer'
      ? { enableOfflineQueue: false, maxRetriesPerRequest: 1, commandTimeout: 5000, connectTimeout: 5000 }
      : { maxRetriesPerRequest: null, enableReadyCheck: true };
  // Capped low: the receiver answers 503 until the producer is back, so a Redis restart should cost at
  // most half a second of that, not the seconds a long backoff would add. @see watchRedis for quiet logs.
  options.retryStrategy = (times) => Math.min(times * 50, 500);
  if (url.startsWith('unix://')) return new Redis({ ...options, path: url.slice('unix://'.length) });
  return new Redis(url, options);
}

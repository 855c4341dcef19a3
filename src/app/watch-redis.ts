import type { Redis } from 'ioredis';
import type { Logger } from 'pino';

/** What is known of a Redis connection's health, for `/readyz`. */
export interface RedisHealth {
  /** Why the connection is not usable (its state and last error), or undefined while it is ready. */
  reason(): string | undefined;
}

/**
 * Logs a Redis connection's errors without flooding (the first one, then at most one per `everyMs`
 * with the count in between) and its recovery, and remembers the last error for `/readyz`.
 */
export function watchRedis(
  redis: Redis,
  log: Logger,
  deps: { everyMs?: number; now?: () => number } = {},
): RedisHealth {
  const { everyMs = 30_000, now = Date.now } = deps;
  let lastError: string | undefined;
  let lastLoggedAt = -Infinity;
  let suppressed = 0;
  redis.on('error', (err: Error) => {
    lastError = err.message;
    if (now() - lastLoggedAt < everyMs) {
      suppressed++;
      return;
    }
    log.warn({ err: err.message, repeated: suppressed }, '[redis] connection error; reconnecting');
    lastLoggedAt = now();
    suppressed = 0;
  });
  redis.on('ready', () => {
    if (lastError !== undefined) log.info('[redis] connection is back');
    lastError = undefined;
    lastLoggedAt = -Infinity;
    suppressed = 0;
  });
  return {
    reason: () =>
      redis.status === 'ready'
        ? undefined
        : `Redis is not reachable (connection ${redis.status}${lastError ? `: ${lastError}` : ''})`,
  };
}

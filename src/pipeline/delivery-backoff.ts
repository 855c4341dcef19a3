import { RateLimitedError } from '../contracts/delivery-errors';

/** Retry timing of one sink. */
export interface RetrySettings {
  /** @defaultValue 10 */
  attempts: number;
  /** @defaultValue 1000 */
  initialDelayMs: number;
  /** @defaultValue 300000 */
  maxDelayMs: number;
}

/** Defaults for {@link RetrySettings}. */
export const defaultRetry: RetrySettings = { attempts: 10, initialDelayMs: 1000, maxDelayMs: 300_000 };

/**
 * Milliseconds to wait before retry number `attemptsMade` (1 after the first failure): the receiver's
 * Retry-After when it gave one, else exponential backoff with "equal jitter" (half fixed, half random),
 * so a fleet of retries does not come back in lockstep.
 */
export function deliveryBackoff(
  attemptsMade: number,
  error: unknown,
  retry: RetrySettings,
  random: () => number = Math.random,
): number {
  if (error instanceof RateLimitedError && error.retryAfterMs !== undefined) {
    return Math.min(error.retryAfterMs, retry.maxDelayMs);
  }
  const ceiling = Math.min(retry.maxDelayMs, retry.initialDelayMs * 2 ** Math.max(0, attemptsMade - 1));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

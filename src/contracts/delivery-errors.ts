/** Why a delivery failed; used as the `reason` metric label. */
export type DeliveryFailureReason =
  'clientError' | 'serverError' | 'authError' | 'rateLimited' | 'timeout' | 'network';

/** Base class of every error a sink throws: it carries the reason and, when there was one, the HTTP status. */
export abstract class DeliveryError extends Error {
  /** Whether trying again later can succeed. */
  abstract readonly retryable: boolean;
  constructor(
    message: string,
    readonly reason: DeliveryFailureReason,
    options: { cause?: unknown; status?: number } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.status = options.status;
  }
  /** HTTP (or SMTP) status of the failed attempt, when there was one. */
  readonly status: number | undefined;
}

/** A failure that will not go away by retrying (bad request, bad credentials): dead-lettered at once. */
export class PermanentDeliveryError extends DeliveryError {
  readonly retryable = false;
  override name = 'PermanentDeliveryError';
}

/** A failure worth retrying with backoff (5xx, network error, timeout). */
export class RetryableDeliveryError extends DeliveryError {
  readonly retryable = true;
  override name = 'RetryableDeliveryError';
}

/**
 * The receiver asked us to slow down; retry after `retryAfterMs` (when it said). With `requeue`, the
 * whole sink pauses for that long and the notification goes back to the queue without using up an
 * attempt (a rate limit says nothing about the notification itself).
 */
export class RateLimitedError extends RetryableDeliveryError {
  override name = 'RateLimitedError';
  readonly requeue: boolean;
  constructor(
    message: string,
    readonly retryAfterMs: number | undefined,
    options: { cause?: unknown; status?: number; requeue?: boolean } = {},
  ) {
    super(message, 'rateLimited', options);
    this.requeue = options.requeue ?? false;
  }
}

import {
  PermanentDeliveryError,
  RateLimitedError,
  RetryableDeliveryError,
  type DeliveryError,
} from '../src/contracts/delivery-errors';

/**
 * The error a delivery that got this HTTP status should fail with, or undefined for 2xx.
 * 5xx, 408 and 429 are retried; every other status is permanent. `detail` (the service's own words,
 * free of secrets) is added to the message in parentheses.
 */
export function classifyHttpStatus(
  status: number,
  context: string,
  retryAfterMs?: number,
  detail?: string,
): DeliveryError | undefined {
  if (status >= 200 && status < 300) return undefined;
  const message = `${context}: HTTP ${status}${detail ? ` (${detail})` : ''}`;
  if (status === 429) return new RateLimitedError(message, retryAfterMs, { status });
  if (status === 408) return new RetryableDeliveryError(message, 'timeout', { status });
  if (status >= 500) return new RetryableDeliveryError(message, 'serverError', { status });
  if (status === 401 || status === 403) return new PermanentDeliveryError(message, 'authError', { status });
  return new PermanentDeliveryError(message, 'clientError', { status });
}

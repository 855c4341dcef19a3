/** Error codes a webhook can be refused with, and the HTTP status of each. */
export const webhookErrorStatus = {
  unknown_source: 404,
  missing_signature: 401,
  bad_signature: 401,
  stale_signature: 401,
  unsupported_media_type: 415,
  payload_too_large: 413,
  malformed_payload: 400,
  invalid_event: 400,
  rate_limited: 429,
  queue_unavailable: 503,
} as const;

/** One of the codes in {@link webhookErrorStatus}. */
export type WebhookErrorCode = keyof typeof webhookErrorStatus;

/** A refused webhook: answered with its status and `{ error: { code, message } }`. Messages never hold secrets. */
export class WebhookError extends Error {
  override name = 'WebhookError';
  readonly status: number;
  /** For `rate_limited`: the `Retry-After` to answer with. */
  readonly retryAfterSeconds: number | undefined;
  constructor(
    readonly code: WebhookErrorCode,
    message: string,
    options?: { cause?: unknown; retryAfterSeconds?: number },
  ) {
    super(message, options);
    this.status = webhookErrorStatus[code];
    this.retryAfterSeconds = options?.retryAfterSeconds;
  }
}

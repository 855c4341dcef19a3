/** Error codes of the `/v1` API and their HTTP status. */
export const apiErrorStatus = {
  bad_request: 400,
  invalid_parameter: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  unavailable: 503,
} as const;

/** One of the codes in {@link apiErrorStatus}. */
export type ApiErrorCode = keyof typeof apiErrorStatus;

/** A refused API request: answered with its status and `{ error: { code, message } }`. */
export class ApiError extends Error {
  override name = 'ApiError';
  readonly status: number;
  constructor(
    readonly code: ApiErrorCode,
    message: string,
  ) {
    super(message);
    this.status = apiErrorStatus[code];
  }
}

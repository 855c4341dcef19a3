/** A payload of a supported event type that lacks a field the relay needs, or has one of the wrong type (400). */
export class PayloadError extends Error {
  override name = 'PayloadError';
  constructor(
    message: string,
    /** Dotted path of the offending field in the payload, when there is one. */
    readonly field?: string,
  ) {
    super(message);
  }
}

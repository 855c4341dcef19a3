import type { WebhookRequest } from '../providers/provider';
import { WebhookError } from './webhook-error';

/**
 * The JSON payload of a webhook: the body itself, or the `payload` field of a form post (GitHub's
 * `application/x-www-form-urlencoded` content type, Travis CI).
 */
export function parsePayload(request: WebhookRequest): unknown {
  let json = request.rawBody.toString('utf8');
  if (request.contentType === 'application/x-www-form-urlencoded') {
    const field = new URLSearchParams(json).get('payload');
    if (field === null) throw new WebhookError('malformed_payload', 'form body has no "payload" field');
    json = field;
  }
  try {
    return JSON.parse(json) as unknown;
  } catch (cause) {
    throw new WebhookError('malformed_payload', `body is not valid JSON (${(cause as Error).message})`);
  }
}

import type { AuthFailure, WebhookRequest } from '../providers/provider';
import { decodeStandardWebhookSecret } from '../standard-webhooks/standard-webhook-secret';
import { verifyStandardWebhook } from '../standard-webhooks/verify-standard-webhook';

/** Verifies a request's Standard Webhooks headers against a source's whsec_ secrets. */
export function verifyStandardWebhookRequest(
  request: WebhookRequest,
  secrets: readonly string[],
  nowMs: number,
): AuthFailure | undefined {
  const keys = secrets.filter((s) => s.startsWith('whsec_')).map(decodeStandardWebhookSecret);
  const failure = verifyStandardWebhook(
    {
      id: request.headers['webhook-id'],
      timestamp: request.headers['webhook-timestamp'],
      signature: request.headers['webhook-signature'],
      body: request.rawBody,
    },
    keys,
    nowMs,
  );
  if (failure === undefined) return undefined;
  if (failure === 'missing')
    return {
      code: 'missing_signature',
      message: 'webhook-id, webhook-timestamp and webhook-signature headers are required',
    };
  if (failure === 'stale')
    return { code: 'stale_signature', message: 'webhook-timestamp is more than 5 minutes from now' };
  return { code: 'bad_signature', message: 'webhook-signature does not match any configured secret' };
}

import { timingSafeEqual } from 'node:crypto';
import { signStandardWebhook } from './sign-standard-webhook';

/** What {@link verifyStandardWebhook} needs from the request. */
export interface StandardWebhookInput {
  id: string | undefined;
  timestamp: string | undefined;
  signature: string | undefined;
  body: Buffer;
}

/** Why a Standard Webhooks signature was refused; undefined when it verified. */
export type StandardWebhookFailure = 'missing' | 'stale' | 'mismatch';

/**
 * Verifies Standard Webhooks headers against any of `keys` (rotation): the header may hold several
 * space-separated `v1,<base64>` signatures; the timestamp must be within `toleranceSeconds`.
 * https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md
 */
export function verifyStandardWebhook(
  input: StandardWebhookInput,
  keys: readonly Buffer[],
  nowMs: number,
  toleranceSeconds = 300,
): StandardWebhookFailure | undefined {
  const { id, timestamp, signature, body } = input;
  if (!id || !timestamp || !signature) return 'missing';
  if (!/^\d{1,12}$/.test(timestamp)) return 'mismatch';
  const ts = Number(timestamp);
  if (Math.abs(nowMs / 1000 - ts) > toleranceSeconds) return 'stale';
  const offered = signature
    .split(' ')
    .filter((s) => s.startsWith('v1,'))
    .map((s) => Buffer.from(s.slice(3), 'base64'));
  for (const key of keys) {
    const expected = Buffer.from(signStandardWebhook(key, id, ts, body).slice(3), 'base64');
    if (offered.some((o) => o.length === expected.length && timingSafeEqual(o, expected))) return undefined;
  }
  return 'mismatch';
}

import { createHmac } from 'node:crypto';

/** The `v1,<base64>` signature of `id.timestamp.body` under `key` (Standard Webhooks). */
export function signStandardWebhook(
  key: Buffer,
  id: string,
  timestampSeconds: number,
  body: Buffer | string,
): string {
  const hmac = createHmac('sha256', key);
  hmac.update(`${id}.${timestampSeconds}.`);
  hmac.update(body);
  return `v1,${hmac.digest('base64')}`;
}

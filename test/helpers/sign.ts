import { createHmac } from 'node:crypto';

// Signed here the way each provider documents it, independently of the relay's own code.

/** GitHub's `X-Hub-Signature-256` value for `body`. https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries */
export function githubSignature(secret: string, body: string | Buffer): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** Standard Webhooks headers for `body`, signed with a `whsec_` secret at `timestampSeconds`. */
export function standardWebhookHeaders(
  secret: string,
  id: string,
  body: string,
  timestampSeconds = Math.floor(Date.now() / 1000),
): Record<string, string> {
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  const signature = createHmac('sha256', key).update(`${id}.${timestampSeconds}.${body}`).digest('base64');
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestampSeconds),
    'webhook-signature': `v1,${signature}`,
  };
}

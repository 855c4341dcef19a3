import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { standardWebhookHeaders } from '../helpers/sign';
import type { ProviderConformance } from './provider-conformance';

const token = 'conformance-gitlab-token';
const signingToken = `whsec_${Buffer.from('conformance-gitlab-signing-key-32b').toString('base64')}`;

const fixture = (file: string, hook: string, idempotencyKey: string) => ({
  name: file,
  webhook: {
    body: readFileSync(join(__dirname, '../fixtures/gitlab', file), 'utf8'),
    contentType: 'application/json',
    headers: { 'x-gitlab-event': hook, 'idempotency-key': idempotencyKey },
  },
});

/**
 * GitLab: the secret token in `X-Gitlab-Token` and the signing token's Standard Webhooks headers,
 * whose `webhook-id` is the delivery's Idempotency-Key. This source configures both, so both must pass.
 */
export const gitlabConformance: ProviderConformance = {
  provider: 'gitlab',
  source: { id: 'gitlab', provider: 'gitlab', token, secrets: [signingToken] },
  signsBody: true,
  sign: (webhook, nowMs) => ({
    'x-gitlab-token': token,
    ...standardWebhookHeaders(
      signingToken,
      webhook.headers['idempotency-key'] ?? 'msg_gitlab',
      webhook.body,
      Math.floor(nowMs / 1000),
    ),
  }),
  fixtures: [
    fixture('pipeline.success.json', 'Pipeline Hook', '6a0e3f2c-55b1-4c1e-9a57-0c6f2d9b1e01'),
    fixture('pipeline.failed.json', 'Pipeline Hook', '6a0e3f2c-55b1-4c1e-9a57-0c6f2d9b1e02'),
    fixture('pipeline.canceled.json', 'Pipeline Hook', '6a0e3f2c-55b1-4c1e-9a57-0c6f2d9b1e03'),
    fixture('pipeline.running.json', 'Pipeline Hook', '6a0e3f2c-55b1-4c1e-9a57-0c6f2d9b1e04'),
    fixture('job.success.json', 'Job Hook', '6a0e3f2c-55b1-4c1e-9a57-0c6f2d9b1e05'),
    fixture('job.failed.json', 'Job Hook', '6a0e3f2c-55b1-4c1e-9a57-0c6f2d9b1e06'),
    fixture('job.retried.json', 'Job Hook', '6a0e3f2c-55b1-4c1e-9a57-0c6f2d9b1e07'),
    fixture('job.legacy-canceled.json', 'Build Hook', '6a0e3f2c-55b1-4c1e-9a57-0c6f2d9b1e08'),
  ],
};

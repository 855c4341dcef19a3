import { standardWebhookHeaders } from '../helpers/sign';
import type { ProviderConformance } from './provider-conformance';

const secret = `whsec_${Buffer.from('conformance-generic-signing-key-32by').toString('base64')}`;

/** Generic: Standard Webhooks headers; the body is a CiEvent without the relay's fields. */
export const genericConformance: ProviderConformance = {
  provider: 'generic',
  source: { id: 'ci', provider: 'generic', secrets: [secret] },
  signsBody: true,
  sign: (webhook, nowMs) =>
    standardWebhookHeaders(
      secret,
      webhook.headers['webhook-id'] ?? 'msg_1',
      webhook.body,
      Math.floor(nowMs / 1000),
    ),
  fixtures: [
    {
      name: 'pipeline failure',
      webhook: {
        contentType: 'application/json',
        headers: { 'webhook-id': 'msg_2fQ8x' },
        body: JSON.stringify({
          kind: 'job',
          status: 'failure',
          providerStatus: 'failed',
          repository: { name: 'acme/monorepo', url: 'https://git.example.com/acme/monorepo' },
          branch: 'main',
          commit: { sha: '0123456789abcdef0123456789abcdef01234567', message: 'Bump deps' },
          pipeline: { id: '4411', name: 'nightly', number: 12, url: 'https://ci.example.com/runs/4411' },
          job: { id: '4411-3', name: 'integration', stage: 'test' },
          startedAt: '2025-03-01T02:00:00Z',
          finishedAt: '2025-03-01T02:11:00Z',
          durationMs: 660000,
        }),
      },
    },
  ],
};

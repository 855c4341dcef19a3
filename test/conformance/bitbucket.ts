import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ProviderConformance } from './provider-conformance';

const secret = 'conformance-bitbucket';

const fixture = (file: string, event: string, requestUuid: string) => ({
  name: file,
  webhook: {
    body: readFileSync(join(__dirname, '../fixtures/bitbucket', file), 'utf8'),
    contentType: 'application/json',
    headers: {
      'x-event-key': event,
      'x-request-uuid': requestUuid,
      'x-hook-uuid': '2f0c8a51-7d3e-4b9a-a1c6-5e4d3b2a1f09',
      'x-attempt-number': '1',
    },
  },
});

/**
 * Bitbucket Cloud: `X-Hub-Signature: sha256=<hex HMAC-SHA256 of the body>` under the webhook's secret.
 * https://support.atlassian.com/bitbucket-cloud/docs/manage-webhooks/#Secure-webhooks
 */
export const bitbucketConformance: ProviderConformance = {
  provider: 'bitbucket',
  source: { id: 'bitbucket', provider: 'bitbucket', secrets: ['older-secret', secret] },
  signsBody: true,
  sign: (webhook) => ({
    'x-hub-signature': `sha256=${createHmac('sha256', secret).update(webhook.body).digest('hex')}`,
  }),
  fixtures: [
    fixture(
      'commit_status.inprogress.json',
      'repo:commit_status_created',
      '9b1f6e2a-0c4d-4e8b-b7a5-3d2c1b0a9f01',
    ),
    fixture(
      'commit_status.successful.json',
      'repo:commit_status_updated',
      '9b1f6e2a-0c4d-4e8b-b7a5-3d2c1b0a9f02',
    ),
    fixture(
      'commit_status.failed.json',
      'repo:commit_status_updated',
      '9b1f6e2a-0c4d-4e8b-b7a5-3d2c1b0a9f03',
    ),
    fixture(
      'commit_status.stopped.json',
      'repo:commit_status_updated',
      '9b1f6e2a-0c4d-4e8b-b7a5-3d2c1b0a9f04',
    ),
  ],
};

import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ProviderConformance } from './provider-conformance';

const secret = 'conformance-circleci';

/** CircleCI's `circleci-signature`: `v1=` and the hex HMAC-SHA256 of the body. https://circleci.com/docs/guides/integration/outbound-webhooks/#validate-webhooks */
function circleciSignature(key: string, body: string): string {
  return `v1=${createHmac('sha256', key).update(body).digest('hex')}`;
}

const fixture = (file: string, event: string) => ({
  name: file,
  webhook: {
    body: readFileSync(join(__dirname, '../fixtures/circleci', file), 'utf8'),
    contentType: 'application/json',
    headers: { 'circleci-event-type': event, 'user-agent': 'CircleCI-Webhook/1.0' },
  },
});

/** CircleCI: `circleci-signature` (v1) over the raw body. */
export const circleciConformance: ProviderConformance = {
  provider: 'circleci',
  source: { id: 'circleci', provider: 'circleci', secrets: ['older-secret', secret] },
  signsBody: true,
  sign: (webhook) => ({ 'circleci-signature': circleciSignature(secret, webhook.body) }),
  fixtures: [
    fixture('workflow-completed.success.json', 'workflow-completed'),
    fixture('workflow-completed.failed.json', 'workflow-completed'),
    fixture('workflow-completed.rerun-success.json', 'workflow-completed'),
    fixture('workflow-completed.canceled-tag.json', 'workflow-completed'),
    fixture('workflow-completed.failed.gitlab.json', 'workflow-completed'),
    fixture('job-completed.success.json', 'job-completed'),
    fixture('job-completed.failed.json', 'job-completed'),
    fixture('job-completed.success.gitlab.json', 'job-completed'),
  ],
};

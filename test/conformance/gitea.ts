import { createHmac, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ProviderConformance } from './provider-conformance';

const secret = 'conformance-gitea';

// Signed the way Gitea documents it, independently of the relay's code: the bare hex HMAC-SHA256 of the
// body. https://docs.gitea.com/usage/webhooks
const giteaSignature = (body: string) => createHmac('sha256', secret).update(body).digest('hex');

const fixture = (file: string, event: string) => ({
  name: file,
  webhook: {
    body: readFileSync(join(__dirname, '../fixtures/gitea', file), 'utf8'),
    contentType: 'application/json',
    headers: { 'x-gitea-event': event, 'x-gitea-event-type': event, 'x-gitea-delivery': randomUUID() },
  },
});

/** Gitea: `X-Gitea-Signature` over the raw body. */
export const giteaConformance: ProviderConformance = {
  provider: 'gitea',
  source: { id: 'gitea', provider: 'gitea', secrets: ['older-secret', secret] },
  signsBody: true,
  sign: (webhook) => ({ 'x-gitea-signature': giteaSignature(webhook.body) }),
  fixtures: [
    fixture('workflow_run.completed.success.json', 'workflow_run'),
    fixture('workflow_run.completed.failure.json', 'workflow_run'),
    fixture('workflow_run.in_progress.json', 'workflow_run'),
    fixture('workflow_run.rerun-attempt-2.cancelled.json', 'workflow_run'),
    fixture('workflow_job.completed.failure.json', 'workflow_job'),
    fixture('workflow_job.queued.json', 'workflow_job'),
    fixture('status.success.json', 'status'),
  ],
};

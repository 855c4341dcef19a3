import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { githubSignature } from '../helpers/sign';
import type { ProviderConformance } from './provider-conformance';

const secret = 'conformance-github';
const fixture = (file: string, event: string) => ({
  name: file,
  webhook: {
    body: readFileSync(join(__dirname, '../fixtures/github', file), 'utf8'),
    contentType: 'application/json',
    headers: { 'x-github-event': event, 'x-github-delivery': randomUUID() },
  },
});

/** GitHub: `X-Hub-Signature-256` over the raw body. */
export const githubConformance: ProviderConformance = {
  provider: 'github',
  source: { id: 'github', provider: 'github', secrets: ['older-secret', secret] },
  signsBody: true,
  sign: (webhook) => ({ 'x-hub-signature-256': githubSignature(secret, webhook.body) }),
  fixtures: [
    fixture('workflow_run.completed.success.json', 'workflow_run'),
    fixture('workflow_run.completed.failure.json', 'workflow_run'),
    fixture('workflow_run.rerun-attempt-2.json', 'workflow_run'),
    fixture('workflow_run.pull_request.json', 'workflow_run'),
    fixture('workflow_job.completed.failure.json', 'workflow_job'),
    fixture('workflow_job.queued.json', 'workflow_job'),
    fixture('check_suite.completed.json', 'check_suite'),
    fixture('check_run.completed.json', 'check_run'),
    fixture('status.success.json', 'status'),
  ],
};

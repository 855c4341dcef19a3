import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { standardWebhookHeaders } from '../helpers/sign';
import type { ProviderConformance } from './provider-conformance';

const secret = `whsec_${Buffer.from('conformance-jenkins-signing-key-32by').toString('base64')}`;

const fixture = (file: string) => ({
  name: file,
  webhook: {
    body: readFileSync(join(__dirname, '../fixtures/jenkins', file), 'utf8'),
    contentType: 'application/json',
    // The Notification plugin sends no event or delivery headers: the phase is in the body.
    headers: {},
  },
});

/**
 * Jenkins, as a pipeline step posts the Notification plugin's JSON signed with Standard Webhooks headers
 * (so a tampered body is caught). The plugin's own HTTP Basic credentials are covered by the unit tests.
 */
export const jenkinsConformance: ProviderConformance = {
  provider: 'jenkins',
  source: { id: 'jenkins', provider: 'jenkins', secrets: [secret] },
  signsBody: true,
  sign: (webhook, nowMs) => {
    const id = `msg_${createHash('sha256').update(webhook.body).digest('hex').slice(0, 24)}`;
    return standardWebhookHeaders(secret, id, webhook.body, Math.floor(nowMs / 1000));
  },
  fixtures: [
    fixture('queued.json'),
    fixture('started.json'),
    fixture('completed.success.json'),
    fixture('completed.failure.json'),
    fixture('completed.aborted.json'),
    fixture('finalized.unstable.json'),
  ],
};

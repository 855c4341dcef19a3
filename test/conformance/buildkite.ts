import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ProviderConformance } from './provider-conformance';

const secret = 'conformance-buildkite';

/** Buildkite's `X-Buildkite-Signature`: HMAC-SHA256 of `timestamp.body`. https://buildkite.com/docs/apis/webhooks/pipelines#webhook-signature */
function buildkiteSignature(key: string, body: string, timestampSeconds: number): string {
  const signature = createHmac('sha256', key).update(`${timestampSeconds}.${body}`).digest('hex');
  return `timestamp=${timestampSeconds},signature=${signature}`;
}

const fixture = (file: string) => {
  const body = readFileSync(join(__dirname, '../fixtures/buildkite', file), 'utf8');
  const event = (JSON.parse(body) as { event: string }).event;
  return {
    name: file,
    webhook: { body, contentType: 'application/json', headers: { 'x-buildkite-event': event } },
  };
};

/** Buildkite: `X-Buildkite-Signature` (the signing variant of the webhook token) over timestamp and body. */
export const buildkiteConformance: ProviderConformance = {
  provider: 'buildkite',
  source: { id: 'buildkite', provider: 'buildkite', secrets: ['older-secret', secret] },
  signsBody: true,
  sign: (webhook, nowMs) => ({
    'x-buildkite-signature': buildkiteSignature(secret, webhook.body, Math.floor(nowMs / 1000)),
  }),
  fixtures: [
    fixture('build.scheduled.json'),
    fixture('build.running.json'),
    fixture('build.failing.json'),
    fixture('build.finished.passed.json'),
    fixture('build.finished.failed.json'),
    fixture('build.finished.rebuild.json'),
    fixture('build.finished.canceled-pull-request.json'),
    fixture('build.finished.blocked.json'),
    fixture('job.scheduled.json'),
    fixture('job.started.json'),
    fixture('job.finished.failed.json'),
    fixture('job.finished.retry-passed.json'),
    fixture('job.activated.json'),
  ],
};

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ProviderConformance } from './provider-conformance';

const username = 'ci-relay';
const password = 'conformance-azure-devops';
const relayKey = 'conformance-azure-header-value';

const fixture = (file: string) => ({
  name: file,
  webhook: {
    body: readFileSync(join(__dirname, '../fixtures/azure-devops', file), 'utf8'),
    contentType: 'application/json',
    // Azure sends no event or delivery header: both are in the body.
    headers: {},
  },
});

/**
 * Azure DevOps Web Hooks: basic authentication plus a custom header, both set on the subscription.
 * Neither covers the body. https://learn.microsoft.com/en-us/azure/devops/service-hooks/services/webhooks
 */
export const azureDevopsConformance: ProviderConformance = {
  provider: 'azure-devops',
  source: {
    id: 'azure',
    provider: 'azure-devops',
    basicAuth: { username, password },
    requiredHeaders: { 'X-Relay-Key': relayKey },
  },
  signsBody: false,
  sign: () => ({
    authorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`,
    'x-relay-key': relayKey,
  }),
  fixtures: [
    fixture('build.complete.succeeded.json'),
    fixture('build.complete.failed.json'),
    fixture('build.complete.canceled.json'),
    fixture('build.complete.partially-succeeded.json'),
    fixture('build.complete.xaml.json'),
    fixture('run-state-changed.in-progress.json'),
    fixture('run-state-changed.failed.json'),
    fixture('job-state-changed.failed.json'),
  ],
};

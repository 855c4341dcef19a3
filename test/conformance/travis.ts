import { generateKeyPairSync, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ProviderConformance, UnsignedWebhook } from './provider-conformance';

// A key pair made for the test run stands in for Travis CI's, whose private half only Travis CI has.
const keys = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  publicKeyEncoding: { type: 'spki', format: 'pem' },
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
});

/**
 * Travis CI's `Signature`: base64 RSA-SHA1 over the URL-decoded `payload` form field.
 * https://docs.travis-ci.com/user/notifications/#verifying-webhook-requests
 */
function travisSignature(webhook: UnsignedWebhook): string {
  const field = webhook.body.replace(/^payload=/, '').replace(/\+/g, ' ');
  return sign('sha1', Buffer.from(decodeURIComponent(field)), keys.privateKey).toString('base64');
}

const fixture = (file: string) => {
  const json = readFileSync(join(__dirname, '../fixtures/travis', file), 'utf8');
  const payload = JSON.parse(json) as { repository: { owner_name: string; name: string } };
  return {
    name: file,
    webhook: {
      // Travis CI posts the JSON form-encoded, in a `payload` field.
      body: `payload=${encodeURIComponent(json)}`,
      contentType: 'application/x-www-form-urlencoded',
      headers: { 'travis-repo-slug': `${payload.repository.owner_name}/${payload.repository.name}` },
    },
  };
};

/** Travis CI: RSA-SHA1 `Signature` over the form's `payload` field, checked with the configured public key. */
export const travisConformance: ProviderConformance = {
  provider: 'travis',
  source: { id: 'travis', provider: 'travis', publicKey: keys.publicKey },
  signsBody: true,
  sign: (webhook) => ({ signature: travisSignature(webhook) }),
  fixtures: [
    fixture('build.passed.json'),
    fixture('build.broken.json'),
    fixture('build.still-failing.json'),
    fixture('build.restarted-fixed.json'),
    fixture('build.started-pending.json'),
    fixture('build.pull-request-canceled.json'),
    fixture('build.cron-errored.json'),
  ],
};

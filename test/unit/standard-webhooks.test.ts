import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { signStandardWebhook } from '../../src/standard-webhooks/sign-standard-webhook';
import { decodeStandardWebhookSecret } from '../../src/standard-webhooks/standard-webhook-secret';
import {
  verifyStandardWebhook,
  type StandardWebhookInput,
} from '../../src/standard-webhooks/verify-standard-webhook';

// The test vector of the Standard Webhooks reference libraries (and Svix's), e.g.
// standard-webhooks/standard-webhooks libraries/*/ "sign function works" tests.
const vector = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestamp: 1614265330,
  payload: '{"test": 2432232314}',
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
} as const;
const nowMs = vector.timestamp * 1000;

function vectorInput(overrides: Partial<StandardWebhookInput> = {}): StandardWebhookInput {
  return {
    id: vector.id,
    timestamp: String(vector.timestamp),
    signature: vector.signature,
    body: Buffer.from(vector.payload),
    ...overrides,
  };
}

describe('Standard Webhooks', () => {
  const key = decodeStandardWebhookSecret(vector.secret);

  describe('signStandardWebhook', () => {
    it('reproduces the published test vector', () => {
      assert.equal(signStandardWebhook(key, vector.id, vector.timestamp, vector.payload), vector.signature);
    });

    it('signs a Buffer body the same as a string body', () => {
      assert.equal(
        signStandardWebhook(key, vector.id, vector.timestamp, Buffer.from(vector.payload)),
        vector.signature,
      );
    });
  });

  describe('verifyStandardWebhook', () => {
    it('accepts the published test vector', () => {
      assert.equal(verifyStandardWebhook(vectorInput(), [key], nowMs), undefined);
    });

    it('accepts a timestamp within the 5-minute tolerance either way', () => {
      assert.equal(verifyStandardWebhook(vectorInput(), [key], nowMs + 299_000), undefined);
      assert.equal(verifyStandardWebhook(vectorInput(), [key], nowMs - 299_000), undefined);
    });

    it('refuses a tampered body', () => {
      const body = Buffer.from('{"test": 2432232315}');
      assert.equal(verifyStandardWebhook(vectorInput({ body }), [key], nowMs), 'mismatch');
    });

    it('refuses a different webhook-id', () => {
      assert.equal(verifyStandardWebhook(vectorInput({ id: 'msg_other' }), [key], nowMs), 'mismatch');
    });

    it('refuses a different webhook-timestamp inside the tolerance', () => {
      const timestamp = String(vector.timestamp + 1);
      assert.equal(verifyStandardWebhook(vectorInput({ timestamp }), [key], nowMs), 'mismatch');
    });

    it('refuses a timestamp 6 minutes off as stale', () => {
      assert.equal(verifyStandardWebhook(vectorInput(), [key], nowMs + 6 * 60_000), 'stale');
      assert.equal(verifyStandardWebhook(vectorInput(), [key], nowMs - 6 * 60_000), 'stale');
    });

    it('refuses a timestamp that is not a number', () => {
      for (const timestamp of ['abc', '1614265330.5', '-1614265330', '']) {
        const failure = verifyStandardWebhook(vectorInput({ timestamp }), [key], nowMs);
        assert.notEqual(failure, undefined, JSON.stringify(timestamp));
      }
    });

    it('reports missing headers', () => {
      for (const field of ['id', 'timestamp', 'signature'] as const) {
        assert.equal(
          verifyStandardWebhook(vectorInput({ [field]: undefined }), [key], nowMs),
          'missing',
          field,
        );
        assert.equal(verifyStandardWebhook(vectorInput({ [field]: '' }), [key], nowMs), 'missing', field);
      }
    });

    it('accepts when the valid signature is the last of several', () => {
      const signature = `v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= v1,bm9wZQ== ${vector.signature}`;
      assert.equal(verifyStandardWebhook(vectorInput({ signature }), [key], nowMs), undefined);
    });

    it('refuses when none of several signatures is valid', () => {
      const signature = 'v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= v1,bm9wZQ==';
      assert.equal(verifyStandardWebhook(vectorInput({ signature }), [key], nowMs), 'mismatch');
    });

    it('ignores entries of other versions, even when they carry the right bytes', () => {
      const v2 = vector.signature.replace(/^v1,/, 'v2,');
      assert.equal(verifyStandardWebhook(vectorInput({ signature: v2 }), [key], nowMs), 'mismatch');
      assert.equal(
        verifyStandardWebhook(vectorInput({ signature: `${v2} ${vector.signature}` }), [key], nowMs),
        undefined,
      );
    });

    it('verifies against any of several keys (rotation)', () => {
      const oldKey = randomBytes(32);
      assert.equal(verifyStandardWebhook(vectorInput(), [oldKey, key], nowMs), undefined);
      assert.equal(verifyStandardWebhook(vectorInput(), [key, oldKey], nowMs), undefined);
      assert.equal(verifyStandardWebhook(vectorInput(), [oldKey], nowMs), 'mismatch');
      assert.equal(verifyStandardWebhook(vectorInput(), [], nowMs), 'mismatch');
    });
  });

  describe('decodeStandardWebhookSecret', () => {
    it('decodes the base64 after whsec_', () => {
      assert.deepEqual(key, Buffer.from('MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'base64'));
      assert.equal(key.length, 24);
    });

    it('refuses a secret without the whsec_ prefix', () => {
      assert.throws(() => decodeStandardWebhookSecret('MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'), /whsec_/);
    });

    it('refuses a secret that is not base64', () => {
      assert.throws(() => decodeStandardWebhookSecret('whsec_not-base64!not-base64!not-base64!'), /base64/);
      assert.throws(() => decodeStandardWebhookSecret('whsec_'), /base64/);
    });

    it('refuses a key shorter than 24 bytes', () => {
      const short = `whsec_${randomBytes(23).toString('base64')}`;
      assert.throws(() => decodeStandardWebhookSecret(short), /24 to 64 bytes/);
    });

    it('refuses a key longer than 64 bytes', () => {
      const long = `whsec_${randomBytes(65).toString('base64')}`;
      assert.throws(() => decodeStandardWebhookSecret(long), /24 to 64 bytes/);
    });
  });
});

import assert from 'node:assert/strict';
import { classifyHttpStatus } from '../../../sinks/classify-http-status';
import {
  DeliveryError,
  PermanentDeliveryError,
  RateLimitedError,
  RetryableDeliveryError,
  type DeliveryFailureReason,
} from '../../../src/contracts/delivery-errors';

type Expected =
  | { kind: 'ok' }
  | { kind: 'rateLimited' }
  | { kind: 'retryable'; reason: DeliveryFailureReason }
  | { kind: 'permanent'; reason: DeliveryFailureReason };

/** What every status code should map to, written out independently of the code under test. */
function expectedFor(status: number): Expected {
  if (status >= 200 && status <= 299) return { kind: 'ok' };
  if (status === 429) return { kind: 'rateLimited' };
  if (status === 408) return { kind: 'retryable', reason: 'timeout' };
  if (status >= 500 && status <= 599) return { kind: 'retryable', reason: 'serverError' };
  if (status === 401 || status === 403) return { kind: 'permanent', reason: 'authError' };
  return { kind: 'permanent', reason: 'clientError' };
}

describe('classifyHttpStatus', () => {
  const context = 'http[ops-hook]';

  it('maps every status code from 100 to 599', () => {
    for (let status = 100; status <= 599; status++) {
      const expected = expectedFor(status);
      const error = classifyHttpStatus(status, context, 1234);
      const label = `HTTP ${status}`;
      if (expected.kind === 'ok') {
        assert.equal(error, undefined, label);
        continue;
      }
      assert.ok(error instanceof DeliveryError, label);
      assert.ok(error instanceof Error, label);
      assert.equal(error.status, status, label);
      assert.ok(error.message.startsWith(context), `${label}: message ${JSON.stringify(error.message)}`);
      assert.ok(error.message.includes(String(status)), `${label}: message names the status`);
      switch (expected.kind) {
        case 'rateLimited':
          assert.ok(error instanceof RateLimitedError, label);
          assert.equal(error.name, 'RateLimitedError', label);
          assert.equal(error.reason, 'rateLimited', label);
          assert.equal(error.retryable, true, label);
          assert.equal(error.retryAfterMs, 1234, label);
          break;
        case 'retryable':
          assert.ok(error instanceof RetryableDeliveryError, label);
          assert.ok(!(error instanceof RateLimitedError), label);
          assert.equal(error.name, 'RetryableDeliveryError', label);
          assert.equal(error.reason, expected.reason, label);
          assert.equal(error.retryable, true, label);
          break;
        case 'permanent':
          assert.ok(error instanceof PermanentDeliveryError, label);
          assert.equal(error.name, 'PermanentDeliveryError', label);
          assert.equal(error.reason, expected.reason, label);
          assert.equal(error.retryable, false, label);
          break;
      }
    }
  });

  it('passes an unknown Retry-After through as undefined on 429', () => {
    const error = classifyHttpStatus(429, context);
    assert.ok(error instanceof RateLimitedError);
    assert.equal(error.retryAfterMs, undefined);
  });

  it('ignores retryAfterMs on statuses other than 429', () => {
    const error = classifyHttpStatus(503, context, 5000);
    assert.ok(error instanceof RetryableDeliveryError);
    assert.ok(!(error instanceof RateLimitedError));
  });
});

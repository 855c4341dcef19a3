import assert from 'node:assert/strict';
import { RateLimitedError, RetryableDeliveryError } from '../../../src/contracts/delivery-errors';
import { defaultRetry, deliveryBackoff } from '../../../src/pipeline/delivery-backoff';

const retry = { attempts: 10, initialDelayMs: 1000, maxDelayMs: 60_000 };
const serverError = new RetryableDeliveryError('x', 'serverError', { status: 503 });

describe('deliveryBackoff', () => {
  const table: Array<[number, number, number]> = [
    // attemptsMade, lowest (random 0), highest (random 1)
    [1, 500, 1000],
    [2, 1000, 2000],
    [3, 2000, 4000],
    [6, 16000, 32000],
    [7, 30000, 60000],
    [20, 30000, 60000],
  ];
  for (const [attemptsMade, low, high] of table) {
    it(`after failure ${attemptsMade}: between ${low} and ${high} ms`, () => {
      assert.equal(
        deliveryBackoff(attemptsMade, serverError, retry, () => 0),
        low,
      );
      assert.equal(
        deliveryBackoff(attemptsMade, serverError, retry, () => 1),
        high,
      );
    });
  }

  it("honours the receiver's Retry-After, capped at maxDelayMs", () => {
    assert.equal(deliveryBackoff(1, new RateLimitedError('x', 7000), retry), 7000);
    assert.equal(deliveryBackoff(1, new RateLimitedError('x', 3_600_000), retry), 60_000);
  });

  it('backs off as usual on a 429 without Retry-After', () => {
    assert.equal(
      deliveryBackoff(2, new RateLimitedError('x', undefined), retry, () => 1),
      2000,
    );
  });

  it('has documented defaults', () => {
    assert.deepEqual(defaultRetry, { attempts: 10, initialDelayMs: 1000, maxDelayMs: 300_000 });
  });
});

import assert from 'node:assert/strict';
import { parseRetryAfter } from '../../../sinks/parse-retry-after';

describe('parseRetryAfter', () => {
  // Wed, 21 Oct 2015 07:28:00 GMT
  const now = Date.UTC(2015, 9, 21, 7, 28, 0);

  it('reads delta-seconds', () => {
    assert.equal(parseRetryAfter('120', now), 120_000);
    assert.equal(parseRetryAfter('0', now), 0);
    assert.equal(parseRetryAfter(' 7 ', now), 7000);
  });

  it('reads an IMF-fixdate relative to now', () => {
    assert.equal(parseRetryAfter('Wed, 21 Oct 2015 07:28:30 GMT', now), 30_000);
    assert.equal(parseRetryAfter('Wed, 21 Oct 2015 08:28:00 GMT', now), 3_600_000);
  });

  it('reads the obsolete RFC 850 and asctime date forms', () => {
    assert.equal(parseRetryAfter('Wednesday, 21-Oct-15 07:28:10 GMT', now), 10_000);
    // asctime carries no zone and Date.parse reads it as local time, so only check it is accepted.
    assert.equal(typeof parseRetryAfter('Wed Oct 21 07:28:20 2015', now), 'number');
  });

  it('gives 0 for a date in the past', () => {
    assert.equal(parseRetryAfter('Wed, 21 Oct 2015 07:27:00 GMT', now), 0);
    assert.equal(parseRetryAfter('Thu, 01 Jan 1970 00:00:00 GMT', now), 0);
  });

  it('gives undefined for a missing, empty or malformed value', () => {
    for (const value of [
      undefined,
      null,
      '',
      '   ',
      'soon',
      '7s',
      '1.5',
      '-5',
      '+5',
      '0x10',
      '1e3',
      'abc 1',
      'Wed',
    ]) {
      assert.equal(parseRetryAfter(value, now), undefined, JSON.stringify(value));
    }
  });

  it('defaults now to the current time', () => {
    const inAMinute = new Date(Date.now() + 60_000).toUTCString();
    const ms = parseRetryAfter(inAMinute);
    assert.ok(ms !== undefined && ms > 55_000 && ms <= 60_000, String(ms));
  });
});

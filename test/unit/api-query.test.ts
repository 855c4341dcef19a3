import assert from 'node:assert/strict';
import { ApiError } from '../../src/api/api-error';
import { parseCursor, parseEventFilter, parseLimit, parseTime } from '../../src/api/parse-query';
import { encodeCursor } from '../../src/store/list-cursor';
import { compareStreamIds } from '../../src/store/stream-id';
import { sampleEvent } from '../helpers/sample-event';

const now = Date.UTC(2026, 10, 30, 12);
const refused = (fn: () => unknown) =>
  assert.throws(
    fn,
    (e: unknown) => e instanceof ApiError && e.status === 400 && e.code === 'invalid_parameter',
  );

describe('API query parameters', () => {
  it('limit: 1-500, default 50', () => {
    assert.equal(parseLimit({}), 50);
    assert.equal(parseLimit({ limit: '500' }), 500);
    for (const limit of ['0', '501', '1.5', '-1', 'x', ['1', '2']]) refused(() => parseLimit({ limit }));
  });

  it('cursor: only what the API made', () => {
    const cursor = encodeCursor({ score: 5, id: 'abc' });
    assert.deepEqual(parseCursor({ cursor }), { score: 5, id: 'abc' });
    for (const bad of [
      '',
      'abc',
      Buffer.from('[1]').toString('base64url'),
      Buffer.from('["a","b"]').toString('base64url'),
    ])
      refused(() => parseCursor({ cursor: bad }));
  });

  it('times: ISO 8601 with a zone, or a duration back from now', () => {
    assert.equal(parseTime('2h', 'since', now), now - 2 * 3600_000);
    assert.equal(parseTime('7d', 'since', now), now - 7 * 86_400_000);
    assert.equal(parseTime('2026-11-30T10:00:00Z', 'since', now), Date.UTC(2026, 10, 30, 10));
    assert.equal(parseTime('2026-11-30', 'since', now), Date.UTC(2026, 10, 30));
    for (const bad of ['yesterday', '2026-11-30T10:00:00', '1e20', '2026-02-30T00:00:00Z', '99999999d'])
      assert.throws(() => parseTime(bad, 'since', now), ApiError, bad);
  });

  it('filters: route match keys with globs, checked like routes', () => {
    const filter = parseEventFilter({ repository: 'acme/*', status: ['failure', 'error'], since: '1d' }, now);
    assert.ok(filter.test(sampleEvent({ receivedAt: new Date(now - 1000).toISOString() })));
    assert.ok(!filter.test(sampleEvent({ receivedAt: new Date(now - 2 * 86_400_000).toISOString() })));
    assert.ok(!filter.test(sampleEvent({ status: 'success', receivedAt: new Date(now).toISOString() })));
    refused(() => parseEventFilter({ status: 'lost' }, now));
    refused(() => parseEventFilter({ branch: 'release/[' }, now));
    refused(() => parseEventFilter({ since: '1h', until: '2h' }, now));
  });

  it('stream ids compare by time, then sequence', () => {
    assert.ok(compareStreamIds('10-1', '9-9') > 0);
    assert.ok(compareStreamIds('10-1', '10-2') < 0);
    assert.equal(compareStreamIds('10-2', '10-2'), 0);
  });
});

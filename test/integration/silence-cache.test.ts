import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { createSilenceCache } from '../../src/pipeline/silence-cache';
import { createSilenceStore, type SilenceStore } from '../../src/store/create-silence-store';
import { sampleEvent } from '../helpers/sample-event';
import { startRedis, type TestRedis } from '../helpers/start-redis';

describe('createSilenceCache (real Redis)', () => {
  let redis: TestRedis;
  let client: Redis;
  let store: SilenceStore;
  let reads: number;
  let clock: number;
  const web = sampleEvent({ repository: { name: 'acme/web' } });

  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    await redis.stop();
  });
  beforeEach(async () => {
    client = new Redis(redis.url);
    await client.flushall();
    clock = Date.UTC(2025, 0, 15, 10, 0, 0);
    const real = createSilenceStore({ redis: client, prefix: 'cache-test', now: () => clock });
    reads = 0;
    // The real store, counting the full reads the cache makes.
    store = {
      ...real,
      view: () => {
        reads++;
        return real.view();
      },
    };
  });
  afterEach(() => client.disconnect());

  const silenceWeb = () =>
    store.create({
      match: { repository: 'acme/web' },
      startsAt: clock,
      endsAt: clock + 3600_000,
      comment: 'test',
      createdBy: 'ops',
    });

  it('reads the silences once for events routed side by side, then holds them', async () => {
    const cache = createSilenceCache(store);
    const views = await Promise.all([1, 2, 3].map(() => cache.current()));
    assert.equal(reads, 1);
    assert.ok(views.every((v) => v === views[0]));
    assert.equal(await cache.current(), views[0]);
    assert.equal(reads, 1);
  });

  it('keeps the held silences while the version read says they are current, and reads them again after a change', async () => {
    const cache = createSilenceCache(store);
    const held = await cache.current();
    assert.equal(held.match(web), undefined);
    assert.equal(await cache.at(await store.version()), held);
    assert.equal(reads, 1);

    const silence = await silenceWeb();
    const fresh = await cache.at(await store.version());
    assert.equal(reads, 2);
    assert.equal(fresh.match(web)?.id, silence.id);
    assert.equal(await cache.current(), fresh, 'current() gives the newer silences from then on');

    await store.expire(silence.id, 'ops');
    assert.equal((await cache.at(await store.version())).match(web), undefined);
    assert.equal(reads, 3);
  });

  it('matches at the clock of each call: a held silence ends when its time is up, without a read', async () => {
    await silenceWeb();
    const cache = createSilenceCache(store);
    const held = await cache.current();
    assert.ok(held.match(web));
    clock += 2 * 3600_000;
    assert.equal(held.match(web), undefined);
    assert.equal(reads, 1);
  });

  it('reads again once the held silences are maxAgeMs old (a change whose version bump was lost)', async () => {
    const cache = createSilenceCache(store, 0);
    await cache.current();
    await cache.current();
    assert.equal(reads, 2);
  });
});

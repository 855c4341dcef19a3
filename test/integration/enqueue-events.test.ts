import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { createEventEnqueuer, type EnqueueEvents } from '../../src/pipeline/enqueue-events';
import { createStreamAppender, eventStreamKeys, type EventStreamKeys } from '../../src/pipeline/event-stream';
import { sampleEvent } from '../helpers/sample-event';
import { startRedis, type TestRedis } from '../helpers/start-redis';

describe('event enqueue to the event stream with group commit (real Redis)', function () {
  this.timeout(20_000);
  let redis: TestRedis;
  let connection: Redis;
  let keys: EventStreamKeys;
  let enqueue: EnqueueEvents;
  let batches: number[];

  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    await redis.stop();
  });
  beforeEach(() => {
    connection = new Redis(redis.url, { maxRetriesPerRequest: 1 });
    keys = eventStreamKeys(`test-${randomUUID()}`, 'events');
    // Count the round trips the enqueuer makes: each append is one script call.
    batches = [];
    const append = createStreamAppender(connection);
    enqueue = createEventEnqueuer({
      queueFor: () => keys,
      append: (k, events, ttlMs) => {
        batches.push(events.length);
        return append(k, events, ttlMs);
      },
      connected: () => connection.status === 'ready',
    });
  });
  afterEach(() => {
    connection.disconnect();
  });

  const event = (delivery: string, n = 0) =>
    sampleEvent({ id: randomUUID(), deliveryId: delivery, pipeline: { id: `${delivery}-${n}`, name: 'CI' } });

  it('writes webhooks that arrive during a write together, each answered with its own ids', async () => {
    await connection.ping();
    const deliveries = Array.from({ length: 60 }, (_, i) => [event(`d${i}`)]);
    const results = await Promise.all(deliveries.map((events) => enqueue(events, 60)));
    results.forEach((r, i) => assert.deepEqual(r, { duplicate: false, ids: [deliveries[i]?.[0]?.id] }));
    assert.equal(
      batches.reduce((a, b) => a + b, 0),
      60,
    );
    assert.ok(batches.length < 60 && batches[0] === 1, `batches: ${batches.join(',')}`);
    assert.equal(await connection.xlen(keys.stream), 60);
  });

  it("a redelivery gets the first delivery's ids and adds nothing", async () => {
    await connection.ping();
    const first = [event('same', 0), event('same', 1)];
    const again = [event('same', 0), event('same', 1)];
    const [a, b] = await Promise.all([enqueue(first, 60), enqueue(again, 60)]);
    assert.deepEqual(a, { duplicate: false, ids: first.map((e) => e.id) });
    assert.deepEqual(b, { duplicate: true, ids: first.map((e) => e.id) });
    assert.equal(await connection.xlen(keys.stream), 2);
    assert.ok((await connection.pttl(keys.dedup('x'))) < 0);
    const ttls = await Promise.all(
      (await connection.keys(keys.dedup('*'))).map((key) => connection.pttl(key)),
    );
    assert.equal(ttls.length, 2);
    for (const ttl of ttls) assert.ok(ttl > 50_000 && ttl <= 60_000, `dedup TTL ${ttl}`);
  });

  it('refuses at once while Redis is not connected', async () => {
    connection.disconnect();
    await assert.rejects(enqueue([event('down')], 60), /not connected/);
  });
});

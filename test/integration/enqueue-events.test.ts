import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { createEventEnqueuer, type EnqueueEvents } from '../../src/pipeline/enqueue-events';
import { sampleEvent } from '../helpers/sample-event';
import { startRedis, type TestRedis } from '../helpers/start-redis';

describe('event enqueue with group commit (real Redis)', function () {
  this.timeout(20_000);
  let redis: TestRedis;
  let connection: Redis;
  let queue: Queue;
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
    queue = new Queue('events', { connection, prefix: `test-${randomUUID()}` });
    // Count the round trips the enqueuer makes: each addBulk is one pipelined write.
    batches = [];
    const addBulk = queue.addBulk.bind(queue);
    queue.addBulk = (jobs) => {
      batches.push(jobs.length);
      return addBulk(jobs);
    };
    enqueue = createEventEnqueuer({ queueFor: () => queue, connected: () => connection.status === 'ready' });
  });
  afterEach(async () => {
    await queue.close();
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
    assert.equal(await queue.getWaitingCount(), 60);
  });

  it("a redelivery gets the first delivery's ids and adds nothing", async () => {
    await connection.ping();
    const first = [event('same', 0), event('same', 1)];
    const again = [event('same', 0), event('same', 1)];
    const [a, b] = await Promise.all([enqueue(first, 60), enqueue(again, 60)]);
    assert.deepEqual(a, { duplicate: false, ids: first.map((e) => e.id) });
    assert.deepEqual(b, { duplicate: true, ids: first.map((e) => e.id) });
    assert.equal(await queue.getWaitingCount(), 2);
  });

  it('refuses at once while Redis is not connected', async () => {
    connection.disconnect();
    await assert.rejects(enqueue([event('down')], 60), /not connected/);
  });
});

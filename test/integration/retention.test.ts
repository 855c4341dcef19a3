import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { monotonicFactory } from 'ulid';
import type { CiEvent } from '../../src/event/ci-event-schema';
import { createLogger } from '../../src/log/create-logger';
import { deliveryBase } from '../../src/store/create-delivery-store';
import { createRecords, type Records } from '../../src/store/create-records';
import { createRetentionTrimmer } from '../../src/store/create-retention-trimmer';
import { compileEventFilter } from '../../src/store/event-filter';
import { recordKeys } from '../../src/store/record-keys';
import { sampleEvent } from '../helpers/sample-event';
import { startRedis, type TestRedis } from '../helpers/start-redis';
import { waitFor } from '../helpers/start-test-relay';

const day = 24 * 3600 * 1000;

describe('retention: records are trimmed by age and count (real Redis)', function () {
  this.timeout(30_000);
  let redis: TestRedis;
  let client: Redis;
  let records: Records;
  let prefix: string;
  let clock: number;
  const newId = monotonicFactory();
  const retention = { days: 2, events: 100 };

  /** Records `n` events (each with one delivery) received at the clock's time, one repository per event. */
  async function receive(n: number, at = clock): Promise<CiEvent[]> {
    const events: CiEvent[] = [];
    for (let i = 0; i < n; i++) {
      const id = newId(at);
      const event = sampleEvent({
        id,
        receivedAt: new Date(at).toISOString(),
        repository: { name: `acme/repo-${id}` },
        pipeline: { id, name: 'CI' },
      });
      await records.events.record(event);
      await records.board.apply(event);
      await records.deliveries.create(deliveryBase(`msg_${id}`, event, 'all', 'hook', at), {
        state: 'pending',
      });
      await records.deliveries.update(deliveryBase(`msg_${id}`, event, 'all', 'hook', at), {
        state: 'sent',
        attempt: { at: new Date(at).toISOString(), outcome: 'sent', attempt: 1 },
        at,
      });
      events.push(event);
    }
    return events;
  }

  before(async () => {
    redis = await startRedis();
    client = new Redis(redis.url);
  });
  after(async () => {
    client.disconnect();
    await redis.stop();
  });
  beforeEach(() => {
    prefix = `test-${randomUUID()}`;
    clock = Date.UTC(2026, 10, 1);
    records = createRecords({
      redis: client,
      prefix,
      retention: () => retention,
      log: createLogger('silent'),
      now: () => clock,
    });
  });
  afterEach(async () => {
    await records.close();
  });

  const keyCount = async () => (await client.keys(`${prefix}:*`)).length;

  it('keeps at most retention.events events, with their deliveries and index entries', async () => {
    const events = await receive(150);
    const removed = await records.trimmer.trim();
    assert.deepEqual(removed, { events: 50, deliveries: 50 });
    const keys = recordKeys(prefix);
    assert.equal(await client.zcard(keys.events), 100);
    assert.equal(await client.zcard(keys.deliveries), 100);
    // The oldest went, with every key and index entry that named them.
    const oldest = events[0] as CiEvent;
    assert.equal(await records.events.get(oldest.id), undefined);
    assert.equal(await records.deliveries.get(`msg_${oldest.id}`), undefined);
    assert.equal(await client.exists(keys.eventsBy('repository', oldest.repository.name)), 0);
    assert.equal(await client.zcard(keys.deliveriesBy('state', 'sent')), 100);
    assert.ok(await records.events.get((events[50] as CiEvent).id));
    const page = await records.events.list(compileEventFilter({}), { limit: 500 });
    assert.equal(page.items.length, 100);
  });

  it('drops what is older than retention.days: events, deliveries, board lines, stream and audit', async () => {
    await receive(10, clock - 3 * day);
    await records.audit.record({ who: 'ops', action: 'replay', target: 'rpl_old' });
    const recent = await receive(5);
    await records.trimmer.trim();
    const keys = recordKeys(prefix);
    assert.equal(await client.zcard(keys.events), 5);
    assert.equal(await client.zcard(keys.boardIndex), 5);
    assert.equal(await client.hlen(keys.board), 5);
    assert.deepEqual(
      (await records.events.list(compileEventFilter({}), { limit: 50 })).items.map((e) => e.id),
      recent.map((e) => e.id).reverse(),
    );
  });

  it('trims the activity stream to the oldest retained event once retention.events is reached', async () => {
    const keys = recordKeys(prefix);
    // Events received a minute apart, each recorded once; with 100 retained, a note is taken per event.
    let n = 0;
    const record = async (count: number) => {
      for (let i = 0; i < count; i++) {
        const at = clock + 60_000 * n++;
        const id = newId(at);
        await records.events.record(
          sampleEvent({ id, receivedAt: new Date(at).toISOString(), pipeline: { id, name: 'CI' } }),
        );
      }
    };
    await record(100);
    await records.trimmer.trim(); // at the cap: nothing trimmed, a note of where the stream is
    assert.equal(await client.xlen(keys.stream), 100);
    await record(100);
    const removed = await records.trimmer.trim();
    assert.equal(removed.events, 100);
    assert.equal(await client.zcard(keys.events), 100);
    // MINID ~ removes whole stream nodes only (a few entries each here): a node's worth may be left.
    const left = await client.xlen(keys.stream);
    assert.ok(left >= 100 && left <= 110, `${left} stream entries left for 100 retained events`);
    // The stream starts at (or just before) the oldest retained event's entry.
    const [[, first] = ['', []]] = await client.xrange(keys.stream, '-', '+', 'COUNT', 1);
    const firstEvent = JSON.parse(first[first.indexOf('d') + 1] ?? '{}') as CiEvent;
    const [oldest] = await client.zrange(keys.events, 0, 0);
    assert.ok(firstEvent.id <= (oldest ?? ''), 'no retained event lost its stream entry');
  });

  it('never trims below retention.events when instances trim side by side', async () => {
    // Each on its own connection, as instances are.
    const connections = [1, 2, 3].map(() => new Redis(redis.url));
    const trimmers = connections.map((connection) =>
      createRetentionTrimmer({
        redis: connection,
        prefix,
        retention: () => retention,
        log: createLogger('silent'),
        now: () => clock,
        intervalMs: 5,
      }),
    );
    const keys = recordKeys(prefix);
    await receive(400);
    for (const t of trimmers) t.start();
    try {
      await waitFor(async () => (await client.zcard(keys.events)) <= 100);
      // Every instance has had passes since: the count stays at the cap, not below it.
      for (const t of trimmers) await t.trim();
      assert.equal(await client.zcard(keys.events), 100);
    } finally {
      await Promise.all(trimmers.map((t) => t.close()));
      for (const connection of connections) connection.disconnect();
    }
  });

  it('stays flat under constant traffic: the same number of keys after every round', async () => {
    const counts: number[] = [];
    for (let round = 0; round < 5; round++) {
      clock += 60_000;
      await receive(100);
      await records.trimmer.trim();
      counts.push(await keyCount());
    }
    assert.equal(new Set(counts.slice(1)).size, 1, `keys per round: ${counts.join(', ')}`);
    assert.ok((await client.xlen(recordKeys(prefix).stream)) <= retention.events * 5 + 100);
  });
});

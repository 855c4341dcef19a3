import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import pino from 'pino';
import { consumeEventStream, type EventStreamConsumer } from '../../src/pipeline/consume-event-stream';
import {
  createStreamAppender,
  eventStreamGroup,
  eventStreamKeys,
  type EventStreamKeys,
} from '../../src/pipeline/event-stream';
import type { CiEvent } from '../../src/event/ci-event-schema';
import { sampleEvent } from '../helpers/sample-event';
import { startRedis, type TestRedis } from '../helpers/start-redis';
import { waitFor } from '../helpers/start-test-relay';

describe('event stream consumer (real Redis)', function () {
  this.timeout(20_000);
  let redis: TestRedis;
  let connection: Redis;
  let keys: EventStreamKeys;
  let consumers: EventStreamConsumer[];
  const log = pino({ level: 'silent' });

  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    await redis.stop();
  });
  beforeEach(() => {
    connection = new Redis(redis.url, { maxRetriesPerRequest: null });
    keys = eventStreamKeys(`test-${randomUUID()}`, 'events');
    consumers = [];
  });
  afterEach(async () => {
    await Promise.all(consumers.map((c) => c.close()));
    connection.disconnect();
  });

  const append = async (...events: CiEvent[]) =>
    createStreamAppender(connection)(
      keys,
      events.map((e) => ({ id: e.id, json: JSON.stringify(e), dedupId: e.id })),
      60_000,
    );
  const consume = (
    handle: (event: CiEvent) => Promise<void>,
    options: Partial<Parameters<typeof consumeEventStream>[0]> = {},
  ) => {
    const consumer = consumeEventStream({
      redis: connection,
      blocking: connection.duplicate(),
      keys,
      handle,
      log,
      blockMs: 100,
      ...options,
    });
    consumers.push(consumer);
    return consumer;
  };
  const pendingCount = async () =>
    ((await connection.xpending(keys.stream, eventStreamGroup)) as [number])[0];

  it('hands each event to one router, then acknowledges and deletes its entry', async () => {
    const seen: string[] = [];
    const handle = async (event: CiEvent) => {
      seen.push(event.id);
    };
    await Promise.all([consume(handle).ready, consume(handle).ready]);
    const events = Array.from({ length: 50 }, () => sampleEvent({ id: randomUUID() }));
    await append(...events);
    await waitFor(async () => seen.length === 50 && (await connection.xlen(keys.stream)) === 0);
    assert.deepEqual([...seen].sort(), events.map((e) => e.id).sort());
    assert.equal(await pendingCount(), 0);
  });

  it('routes events appended before any router started', async () => {
    const event = sampleEvent({ id: randomUUID() });
    await append(event);
    const seen: string[] = [];
    consume(async (e) => {
      seen.push(e.id);
    });
    await waitFor(() => seen.length === 1);
    assert.deepEqual(seen, [event.id]);
  });

  it('retries a failing event with backoff, then dead-letters it with the error', async () => {
    let calls = 0;
    await consume(
      async () => {
        calls++;
        throw new Error('sink config vanished');
      },
      { maxAttempts: 3, retryDelayMs: () => 10 },
    ).ready;
    const event = sampleEvent({ id: randomUUID() });
    await append(event);
    await waitFor(async () => (await connection.xlen(keys.dead)) === 1);
    assert.equal(calls, 3);
    const [, fields = []] = (await connection.xrange(keys.dead, '-', '+'))[0] ?? [];
    assert.equal(fields[fields.indexOf('id') + 1] !== undefined, true);
    assert.equal(fields[fields.indexOf('error') + 1], 'sink config vanished');
    assert.equal((JSON.parse(fields[fields.indexOf('d') + 1] as string) as CiEvent).id, event.id);
    assert.equal(await connection.xlen(keys.stream), 0);
    assert.equal(await pendingCount(), 0);
  });

  it('takes over the events of a router that died before acknowledging them', async () => {
    // A router that read two entries and died: they stay pending under its name.
    await connection.xgroup('CREATE', keys.stream, eventStreamGroup, '0', 'MKSTREAM');
    const events = [sampleEvent({ id: randomUUID() }), sampleEvent({ id: randomUUID() })];
    await append(...events);
    await connection.xreadgroup(
      'GROUP',
      eventStreamGroup,
      'dead-router',
      'COUNT',
      10,
      'STREAMS',
      keys.stream,
      '>',
    );
    assert.equal(await pendingCount(), 2);

    const seen: string[] = [];
    consume(
      async (e) => {
        seen.push(e.id);
      },
      { stalledAfterMs: 300 },
    );
    await waitFor(async () => seen.length === 2 && (await pendingCount()) === 0);
    assert.deepEqual([...seen].sort(), events.map((e) => e.id).sort());
    assert.equal(await connection.xlen(keys.stream), 0);
  });

  it('keeps a slow event of its own rather than letting another router take it', async () => {
    let release!: () => void;
    const slow = new Promise<void>((resolve) => (release = resolve));
    const calls: string[] = [];
    await consume(
      async (e) => {
        calls.push(`a:${e.id}`);
        await slow;
      },
      { stalledAfterMs: 300 },
    ).ready;
    const event = sampleEvent({ id: randomUUID() });
    await append(event);
    await waitFor(() => calls.length === 1);
    consume(
      async (e) => {
        calls.push(`b:${e.id}`);
      },
      { stalledAfterMs: 300 },
    );
    const pendingEntry = async () =>
      (
        (await connection.xpending(keys.stream, eventStreamGroup, '-', '+', 10)) as Array<
          [id: string, owner: string, idleMs: number, deliveries: number]
        >
      )[0] ?? ['', '', -1, -1];
    const [, , , before] = await pendingEntry();
    // Four times the stall limit: several sweeps of both routers pass while the event is in hand.
    const since = Date.now();
    await waitFor(() => Date.now() - since > 1200);
    const [, owner, idle, deliveries] = await pendingEntry();
    assert.equal(deliveries, before);
    assert.ok(idle >= 0 && idle < 300, `idle ${idle} ms`);
    assert.ok(owner.length > 0);
    release();
    await waitFor(async () => (await pendingCount()) === 0);
    assert.deepEqual(calls, [`a:${event.id}`]);
  });

  it('dead-letters an event that every router that took it died on', async () => {
    await connection.xgroup('CREATE', keys.stream, eventStreamGroup, '0', 'MKSTREAM');
    await append(sampleEvent({ id: randomUUID() }));
    // Delivered three times already (read, then taken over twice), never acknowledged.
    await connection.xreadgroup('GROUP', eventStreamGroup, 'r1', 'COUNT', 1, 'STREAMS', keys.stream, '>');
    const [id] =
      ((await connection.xpending(keys.stream, eventStreamGroup, '-', '+', 1)) as Array<[string]>)[0] ?? [];
    assert.ok(id);
    for (const name of ['r2', 'r3']) await connection.xclaim(keys.stream, eventStreamGroup, name, 0, id);
    let calls = 0;
    consume(
      async () => {
        calls++;
      },
      { stalledAfterMs: 200, maxAttempts: 3 },
    );
    await waitFor(async () => (await connection.xlen(keys.dead)) === 1);
    assert.equal(calls, 0);
    assert.equal(await pendingCount(), 0);
  });

  it('recreates its group after Redis lost its data, and goes on routing', async () => {
    const seen: string[] = [];
    await consume(async (e) => {
      seen.push(e.id);
    }).ready;
    await connection.flushall();
    const event = sampleEvent({ id: randomUUID() });
    await append(event);
    await waitFor(() => seen.length === 1);
    assert.deepEqual(seen, [event.id]);
  });

  it('close() waits for the events in hand and leaves a retrying one pending for the next router', async () => {
    let finished = 0;
    let failures = 0;
    let failing = true;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const consumer = consume(
      async (e) => {
        if (e.pipeline.name === 'fails' && failing) {
          failures++;
          throw new Error('not yet');
        }
        await gate;
        finished++;
      },
      { retryDelayMs: () => 60_000 },
    );
    await consumer.ready;
    await append(
      sampleEvent({ id: randomUUID() }),
      sampleEvent({ id: randomUUID(), pipeline: { id: 'p', name: 'fails' } }),
    );
    await waitFor(() => failures === 1);
    const closed = consumer.close();
    release();
    await closed;
    assert.equal(finished, 1);
    assert.equal(await pendingCount(), 1);
    failing = false;
    const seen: string[] = [];
    consume(
      async (e) => {
        seen.push(e.pipeline.name);
      },
      { stalledAfterMs: 300 },
    );
    await waitFor(() => seen.length === 1);
    assert.deepEqual(seen, ['fails']);
  });
});

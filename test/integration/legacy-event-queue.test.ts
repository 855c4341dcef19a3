import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { eventStreamKeys } from '../../src/pipeline/event-stream';
import { eventQueueName } from '../../src/pipeline/queue-names';
import type { CiEvent } from '../../src/event/ci-event-schema';
import { sampleEvent } from '../helpers/sample-event';
import { startCaptureServer, type CaptureServer } from '../helpers/start-capture-server';
import { startRedis, type TestRedis } from '../helpers/start-redis';
import { startTestRelay, waitFor } from '../helpers/start-test-relay';

describe('upgrade: events left in the old BullMQ event queue (real Redis)', function () {
  this.timeout(30_000);
  let redis: TestRedis;
  let sink: CaptureServer;

  before(async () => {
    redis = await startRedis();
    sink = await startCaptureServer((_req, res) => void res.writeHead(200).end());
  });
  after(async () => {
    await sink.close();
    await redis.stop();
  });

  it('routes them through the event stream at start, once each, and empties the old queue', async () => {
    const prefix = `test-${randomUUID()}`;
    // What the previous version's receiver left behind: jobs named after the event ids, not yet routed.
    const old = new Queue<CiEvent>(eventQueueName, { connection: { url: redis.url }, prefix });
    const events = [1, 2, 3].map((n) =>
      sampleEvent({ id: randomUUID(), kind: 'pipeline', pipeline: { id: `legacy-${n}`, name: 'CI' } }),
    );
    for (const event of events) await old.add('event', event, { jobId: event.id });
    assert.equal(await old.getWaitingCount(), 3);

    const relay = await startTestRelay({
      configYaml: `version: 1
sources: [{ id: open, provider: generic, insecure: true }]
sinks: [{ id: hook, type: http, url: "${sink.url}" }]
routes: [{ name: all, sinks: [hook] }]
`,
      redisUrl: redis.url,
      prefix,
    });
    const client = new Redis(redis.url);
    try {
      await waitFor(() => sink.requests.filter((r) => r.body.length > 0).length === 3);
      const delivered = sink.requests.map((r) => (JSON.parse(r.body) as { data: { id: string } }).data.id);
      assert.deepEqual([...delivered].sort(), events.map((e) => e.id).sort());
      await waitFor(async () => (await client.xlen(eventStreamKeys(prefix, eventQueueName).stream)) === 0);
      assert.equal(await old.getJobCountByTypes('wait', 'active', 'delayed', 'prioritized', 'paused'), 0);
      assert.ok(relay.logLines.some((l) => l.includes('moved 3 event(s) from the old BullMQ event queue')));
    } finally {
      client.disconnect();
      await old.close();
      await relay.close();
    }
  });
});

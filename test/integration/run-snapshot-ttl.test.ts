import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import type { CiEvent } from '../../src/event/ci-event-schema';
import { runKey } from '../../src/event/run-identity';
import { createRecords } from '../../src/store/create-records';
import { createLogger } from '../../src/log/create-logger';
import { sampleEvent } from '../helpers/sample-event';
import { genericSourceYaml, postGenericEvent } from '../helpers/post-generic-event';
import { startRedis, type TestRedis } from '../helpers/start-redis';
import { startTestRelay, waitFor, type TestRelay } from '../helpers/start-test-relay';

describe('run snapshots live as long as retention.days (relay, real Redis)', function () {
  this.timeout(30_000);
  let redis: TestRedis;
  let client: Redis;
  let relay: TestRelay;

  before(async () => {
    redis = await startRedis();
    client = new Redis(redis.url);
    relay = await startTestRelay({
      redisUrl: redis.url,
      configYaml: `${genericSourceYaml}sinks: []\nroutes: []\nretention: { days: 1 }\n`,
    });
  });
  after(async () => {
    await relay.close();
    client.disconnect();
    await redis.stop();
  });

  it('sets a run snapshot to expire after retention.days, not a fixed week', async () => {
    const event = sampleEvent({ pipeline: { id: 'ttl-run-1', name: 'CI' } });
    const id = await postGenericEvent(relay.url, event);
    const records = createRecords({
      redis: client,
      prefix: relay.prefix,
      retention: () => ({ days: 1, events: 100 }),
      log: createLogger('silent'),
    });
    let recorded: CiEvent | undefined;
    try {
      // The router has recorded the event (its record exists) and, before that, the run's snapshot.
      await waitFor(async () => (recorded = await records.events.get(id)) !== undefined);
    } finally {
      await records.close();
    }
    assert.ok(recorded);
    const ttl = await client.ttl(`${relay.prefix}:run:${runKey(recorded)}`);
    assert.ok(ttl > 23 * 3600 && ttl <= 24 * 3600, `the snapshot expires in ${ttl} s`);
  });
});

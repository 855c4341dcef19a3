import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { recordKeys } from '../../src/store/record-keys';
import { sampleEvent } from '../helpers/sample-event';
import { genericSourceYaml, postGenericEvent } from '../helpers/post-generic-event';
import { startRedis, type TestRedis } from '../helpers/start-redis';
import { startTestRelay, waitFor, type TestRelay } from '../helpers/start-test-relay';

describe('the activity stream follows retention.events (receiver and worker processes, real Redis)', function () {
  this.timeout(60_000);
  let redis: TestRedis;
  let client: Redis;
  let relay: TestRelay;
  let worker: TestRelay;

  before(async () => {
    redis = await startRedis();
    client = new Redis(redis.url);
    relay = await startTestRelay({
      redisUrl: redis.url,
      configYaml: `${genericSourceYaml}sinks: []\nroutes: []\nretention: { events: 100 }\n`,
      trimIntervalMs: 50,
      role: 'receiver',
    });
    worker = await startTestRelay({
      redisUrl: redis.url,
      configYaml: `${genericSourceYaml}sinks: []\nroutes: []\nretention: { events: 100 }\n`,
      trimIntervalMs: 50,
      role: 'worker',
      prefix: relay.prefix,
    });
  });
  after(async () => {
    await relay.close();
    await worker.close();
    client.disconnect();
    await redis.stop();
  });

  it('keeps stream entries for the retained events only, once the cap is reached', async () => {
    const keys = recordKeys(relay.prefix);
    for (let i = 0; i < 300; i++)
      await postGenericEvent(relay.url, sampleEvent({ pipeline: { id: `stream-run-${i}`, name: 'CI' } }));
    await waitFor(
      async () => (await client.zcard(keys.events)) === 100 && (await client.xlen(keys.stream)) <= 130,
      20_000,
    ).catch(() => undefined);
    const retained = await client.zcard(keys.events);
    const entries = await client.xlen(keys.stream);
    assert.equal(retained, 100);
    assert.ok(entries <= 130, `${entries} stream entries for ${retained} retained events`);
  });
});

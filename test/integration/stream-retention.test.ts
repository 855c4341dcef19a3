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
    const newestScore = async (key: string) => (await client.zrange(key, -1, -1, 'WITHSCORES'))[1];
    let sent = 0;
    // Rounds of 100, each followed by a trimming pass that noted where the stream ends (a note at the
    // newest event), so the cut points do not depend on how the passes fall between the posts.
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 100; i++)
        await postGenericEvent(
          relay.url,
          sampleEvent({ pipeline: { id: `stream-run-${sent++}`, name: 'CI' } }),
        );
      await waitFor(
        async () => (await client.zcard(keys.events)) === 100 && (await client.xlen(keys.stream)) >= 100,
      );
      await waitFor(async () => (await newestScore(keys.streamMarks)) === (await newestScore(keys.events)));
    }
    const retained = await client.zcard(keys.events);
    const entries = await client.xlen(keys.stream);
    assert.equal(retained, 100);
    // MINID ~ removes whole stream nodes only: a node's worth (a few entries) may be left.
    assert.ok(entries >= 100 && entries <= 110, `${entries} stream entries for ${retained} retained events`);
  });
});

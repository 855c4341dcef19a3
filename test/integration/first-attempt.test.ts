import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import type { CiEvent } from '../../src/event/ci-event-schema';
import { sampleEvent } from '../helpers/sample-event';
import { genericSourceYaml, postGenericEvent } from '../helpers/post-generic-event';
import { answer, startCaptureServer, type CaptureServer } from '../helpers/start-capture-server';
import { startRedis, type TestRedis } from '../helpers/start-redis';
import { startTestRelay, waitFor, type TestRelay } from '../helpers/start-test-relay';

/** Pipeline run `n` of acme/web, failed: each a notification of its own. */
const run = (n: number): CiEvent =>
  sampleEvent({ pipeline: { id: String(70_000 + n), name: 'CI', number: n, attempt: 1 } });

// The router makes each notification's first attempt itself (no queue hop); these check that a sink
// which does not answer cannot stall routing for the others.
describe('first attempts in the router (relay, real Redis, local HTTP receivers)', function () {
  this.timeout(40_000);
  let redis: TestRedis;
  let stuck: CaptureServer;
  let fine: CaptureServer;
  let relay: TestRelay;
  // Answers the stuck receiver holds back until the test lets them go.
  let held: ServerResponse[] = [];

  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    await redis.stop();
  });
  beforeEach(async () => {
    held = [];
    stuck = await startCaptureServer((_req, res) => void held.push(res));
    fine = await startCaptureServer(answer(204));
    relay = await startTestRelay({
      redisUrl: redis.url,
      configYaml: `
${genericSourceYaml}sinks:
  - id: stuck
    type: http
    url: "${stuck.url}"
    timeoutMs: 30000
  - id: fine
    type: http
    url: "${fine.url}"
routes:
  - name: all
    match: {}
    sinks: [stuck, fine]
`,
    });
  });
  afterEach(async () => {
    for (const res of held) res.writeHead(204).end();
    await relay.close();
    await Promise.all([stuck.close(), fine.close()]);
  });

  const post = (event: CiEvent) => postGenericEvent(relay.url, event);

  it('a sink that does not answer holds up neither routing nor the other sink; its notifications queue and all arrive once', async () => {
    // More events than the router routes at once (16): were it waiting on the stuck sink for each, the
    // other sink would stop short of 40.
    for (let n = 1; n <= 40; n++) await post(run(n));
    await waitFor(() => fine.requests.length === 40, 20_000);
    assert.ok(held.length < 40, 'the stuck sink still holds its first requests');

    for (const res of held.splice(0)) res.writeHead(204).end();
    await waitFor(() => {
      for (const res of held.splice(0)) res.writeHead(204).end();
      return new Set(stuck.requests.map((r) => r.headers['webhook-id'])).size === 40;
    }, 20_000);
    // Every notification went to each sink once, under one id per (event, sink).
    const ids = (server: CaptureServer) => server.requests.map((r) => String(r.headers['webhook-id']));
    assert.equal(new Set(ids(fine)).size, 40);
    assert.equal(ids(stuck).length, 40, 'nothing was sent twice');
  });
});

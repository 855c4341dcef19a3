import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { githubSignature } from '../helpers/sign';
import { answer, startCaptureServer, type CaptureServer } from '../helpers/start-capture-server';
import { startRedisCluster, type TestRedisCluster } from '../helpers/start-redis-cluster';
import { startTestRelay, type TestRelay } from '../helpers/start-test-relay';

const githubSecret = 'wait-github-secret';
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const template = JSON.parse(
  readFileSync(join(__dirname, '../fixtures/github/workflow_run.completed.failure.json'), 'utf8'),
) as Json;
let runId = 950_000;
function workflowRun(): string {
  const payload = structuredClone(template);
  payload.workflow_run.id = runId++;
  return JSON.stringify(payload);
}

const configYaml = (sinkUrl: string, redis: string) => `
version: 1
workers: { eventPartitions: 4 }
${redis}
sources:
  - id: github
    provider: github
    secrets: ["\${GITHUB_SECRET}"]
sinks:
  - { id: hook, type: http, url: "${sinkUrl}" }
routes:
  - { name: everything, sinks: [hook] }
`;

const percentile = (values: number[], p: number) =>
  [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor((values.length * p) / 100))] ?? 0;

describe('Redis Cluster: redis.waitForReplicas (WAIT on the 202 path)', function () {
  this.timeout(60_000);
  let cluster: TestRedisCluster;
  let sink: CaptureServer;
  const relays: TestRelay[] = [];
  const start = async (redis: string) => {
    const relay = await startTestRelay({
      configYaml: configYaml(sink.url, redis),
      redisUrl: '',
      redisClusterNodes: cluster.nodes,
      env: { GITHUB_SECRET: githubSecret },
      role: 'receiver',
    });
    relays.push(relay);
    return relay;
  };
  const post = (relay: TestRelay) => {
    const body = workflowRun();
    return request(relay.url)
      .post('/hooks/github')
      .set('content-type', 'application/json')
      .set('x-github-event', 'workflow_run')
      .set('x-github-delivery', randomUUID())
      .set('x-hub-signature-256', githubSignature(githubSecret, body))
      .send(body);
  };
  /** Milliseconds of `n` webhooks answered one after another; each must be `status`. */
  const timed = async (relay: TestRelay, n: number, status: number) => {
    const times: number[] = [];
    for (let i = 0; i < n; i++) {
      const t = process.hrtime.bigint();
      const res = await post(relay);
      times.push(Number(process.hrtime.bigint() - t) / 1e6);
      assert.equal(res.status, status, JSON.stringify(res.body));
    }
    return times;
  };

  before(async () => {
    cluster = await startRedisCluster();
    sink = await startCaptureServer(answer(200));
  });
  after(async () => {
    for (const relay of relays) await relay.close();
    await sink?.close();
    await cluster?.stop();
  });

  it('answers 202 once a replica has the events, and measures what that costs', async () => {
    const plain = await start('');
    // A replica acknowledges within milliseconds; the timeout only has to outlast a busy CI machine.
    const waiting = await start('redis: { waitForReplicas: { replicas: 1, timeoutMs: 3000 } }');
    await timed(plain, 20, 202); // warm up both
    await timed(waiting, 20, 202);
    const without = await timed(plain, 200, 202);
    const withWait = await timed(waiting, 200, 202);
    const figures = {
      withoutWait: { p50: percentile(without, 50), p99: percentile(without, 99) },
      withWait: { p50: percentile(withWait, 50), p99: percentile(withWait, 99) },
    };
    console.log(`      202 latency, ms (sequential, 200 each): ${JSON.stringify(figures)}`);
  });

  it('answers 503 when fewer replicas than asked acknowledge (each master here has one)', async () => {
    const greedy = await start('redis: { waitForReplicas: { replicas: 2, timeoutMs: 50 } }');
    const res = await post(greedy);
    assert.equal(res.status, 503, JSON.stringify(res.body));
  });
});

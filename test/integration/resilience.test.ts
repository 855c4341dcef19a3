import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import request from 'supertest';
import { deliveryQueueName } from '../../src/pipeline/queue-names';
import { githubSignature } from '../helpers/sign';
import { Redis } from 'ioredis';
import { finishedDeliveries } from '../helpers/finished-deliveries';
import { answer, startCaptureServer, type CaptureServer } from '../helpers/start-capture-server';
import { startRedis, type TestRedis } from '../helpers/start-redis';
import { startTestRelay, waitFor, type TestRelay } from '../helpers/start-test-relay';

const secret = 'resilience-secret';
const fixture = (name: string) => readFileSync(join(__dirname, '../fixtures/github', name), 'utf8');

function configYaml(sinkUrls: Record<string, string>, routeSinks: string[]): string {
  const sinks = Object.entries(sinkUrls)
    .map(
      ([id, url]) =>
        `  - { id: ${id}, type: http, url: "${url}", retry: { attempts: 20, initialDelayMs: 50, maxDelayMs: 300 } }`,
    )
    .join('\n');
  return `version: 1
sources: [{ id: github, provider: github, secrets: ["${secret}"] }]
sinks:
${sinks}
routes: [{ name: all, sinks: [${routeSinks.join(', ')}] }]
`;
}

/** A workflow_run body made distinct by its run id, so each is its own notification. */
function runBody(runId: number): string {
  const payload = JSON.parse(fixture('workflow_run.completed.failure.json')) as {
    workflow_run: { id: number };
  };
  payload.workflow_run.id = runId;
  return JSON.stringify(payload);
}

function post(relay: TestRelay, body: string) {
  return request(relay.url)
    .post('/hooks/github')
    .set('content-type', 'application/json')
    .set('x-github-event', 'workflow_run')
    .set('x-github-delivery', randomUUID())
    .set('x-hub-signature-256', githubSignature(secret, body))
    .send(body);
}

describe('resilience (real Redis)', function () {
  this.timeout(40_000);
  let redis: TestRedis;
  let a: CaptureServer;
  let b: CaptureServer;
  const relays: TestRelay[] = [];

  beforeEach(async () => {
    redis = await startRedis();
    a = await startCaptureServer(answer(200));
    b = await startCaptureServer(answer(200));
  });
  afterEach(async () => {
    await Promise.all(relays.splice(0).map((r) => r.close()));
    await Promise.all([a.close(), b.close(), redis.stop()]);
  });

  it('hot-reloads a valid config and keeps the old one when an edit is invalid', async () => {
    const relay = await startTestRelay({ configYaml: configYaml({ a: a.url }, ['a']), redisUrl: redis.url });
    relays.push(relay);
    assert.equal((await post(relay, runBody(1))).status, 202);
    await waitFor(() => a.requests.length === 1);

    writeFileSync(relay.configFile, configYaml({ a: a.url, b: b.url }, ['b']));
    assert.equal(relay.configStore.reload(), true);
    assert.equal((await post(relay, runBody(2))).status, 202);
    await waitFor(() => b.requests.length === 1);
    assert.equal(a.requests.length, 1);

    writeFileSync(relay.configFile, configYaml({ b: b.url }, ['nowhere']));
    assert.equal(relay.configStore.reload(), false);
    assert.ok(
      relay.logLines.some((l) => l.includes('reload refused') && l.includes('unknown sink \\"nowhere\\"')),
    );
    assert.equal((await post(relay, runBody(3))).status, 202);
    await waitFor(() => b.requests.length === 2);
  });

  it('runs receiver and worker as separate roles on one Redis', async () => {
    const prefix = `split-${randomUUID()}`;
    const yaml = configYaml({ a: a.url }, ['a']);
    const receiver = await startTestRelay({
      configYaml: yaml,
      redisUrl: redis.url,
      role: 'receiver',
      prefix,
    });
    relays.push(receiver);
    assert.equal((await post(receiver, runBody(10))).status, 202);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(a.requests.length, 0, 'a receiver alone delivers nothing');
    relays.push(await startTestRelay({ configYaml: yaml, redisUrl: redis.url, role: 'worker', prefix }));
    await waitFor(() => a.requests.length === 1);
  });

  it('survives a Redis restart: 503 while it is down, then accepts and delivers again', async () => {
    const relay = await startTestRelay({ configYaml: configYaml({ a: a.url }, ['a']), redisUrl: redis.url });
    relays.push(relay);
    assert.equal((await post(relay, runBody(20))).status, 202);
    await waitFor(() => a.requests.length === 1);

    await redis.stop();
    const during = await post(relay, runBody(21));
    assert.equal(during.status, 503);
    assert.equal((await request(relay.url).get('/readyz')).status, 503);

    await redis.start();
    await waitFor(async () => (await request(relay.url).get('/readyz')).status === 200);
    assert.equal((await post(relay, runBody(22))).status, 202);
    await waitFor(() => a.requests.length === 2);
  });

  it('shuts down gracefully: an in-flight delivery finishes before close resolves', async () => {
    await a.close();
    const port = Number(new URL(a.url).port);
    let answered = 0;
    a = await startCaptureServer(
      (_req, res) =>
        void setTimeout(() => {
          answered++;
          res.writeHead(200).end();
        }, 700),
      undefined,
      port,
    );
    const relay = await startTestRelay({ configYaml: configYaml({ a: a.url }, ['a']), redisUrl: redis.url });
    assert.equal((await post(relay, runBody(50))).status, 202);
    await waitFor(() => a.requests.length === 1);
    await relay.close();
    assert.equal(answered, 1, 'close() returned before the in-flight delivery finished');
    // The job finished as sent, not left active for a stalled-job retry.
    const queue = new Queue(deliveryQueueName('a'), { connection: { url: redis.url }, prefix: relay.prefix });
    const client = new Redis(redis.url);
    try {
      assert.equal(await queue.getActiveCount(), 0);
      assert.equal(await finishedDeliveries(client, relay.prefix, 'a'), 1);
    } finally {
      client.disconnect();
      await queue.close();
    }
  });

  it('loses nothing across a Redis restart: an accepted event is delivered once afterwards (append-only file)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ci-relay-aof-'));
    const durable = await startRedis({ appendOnlyDir: dir });
    await a.close();
    const port = Number(new URL(a.url).port);
    const relay = await startTestRelay({
      configYaml: configYaml({ a: a.url }, ['a']),
      redisUrl: durable.url,
    });
    try {
      assert.equal((await post(relay, runBody(60))).status, 202);
      await new Promise((r) => setTimeout(r, 300));
      await durable.stop();
      await durable.start();
      a = await startCaptureServer(answer(200), undefined, port);
      await waitFor(() => a.requests.length === 1, 20_000);
      await new Promise((r) => setTimeout(r, 800));
      assert.equal(a.requests.length, 1);
    } finally {
      await relay.close();
      await durable.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keeps a notification for a sink that is down and delivers it once the sink is back', async () => {
    const relay = await startTestRelay({ configYaml: configYaml({ a: a.url }, ['a']), redisUrl: redis.url });
    relays.push(relay);
    await a.close();
    const port = Number(new URL(a.url).port);
    assert.equal((await post(relay, runBody(30))).status, 202);
    await new Promise((r) => setTimeout(r, 400));
    // The sink comes back on the same port; retries (50-300 ms apart) find it.
    a = await startCaptureServer(answer(200), undefined, port);
    await waitFor(() => a.requests.length === 1, 15_000);
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(a.requests.length, 1);
  });
});

describe('a worker killed mid-delivery (real process, SIGKILL)', function () {
  this.timeout(60_000);

  it('the notification goes out later, once, with the same webhook-id', async () => {
    const redis = await startRedis();
    let hold = true;
    const held: Array<() => void> = [];
    const sink = await startCaptureServer((_req, res) => {
      // The first attempt never gets an answer: its worker is killed while it waits.
      if (hold) held.push(() => res.destroy());
      else answer(200)(_req, res);
    });
    const yaml = configYaml({ a: sink.url }, ['a']).replace(
      'version: 1',
      'version: 1\nworkers: { stalledAfterMs: 1000 }',
    );
    const prefix = `kill-${randomUUID()}`;
    const receiver = await startTestRelay({
      configYaml: yaml,
      redisUrl: redis.url,
      role: 'receiver',
      prefix,
    });
    const child = spawn(process.execPath, ['-r', 'tsx/cjs', join(__dirname, 'fixtures/run-worker.ts')], {
      env: { ...process.env, REDIS_URL: redis.url, RELAY_CONFIG: receiver.configFile, RELAY_PREFIX: prefix },
      stdio: 'ignore',
    });
    let replacement: TestRelay | undefined;
    try {
      assert.equal((await post(receiver, runBody(40))).status, 202);
      await waitFor(() => sink.requests.length === 1, 20_000);
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      hold = false;
      held.forEach((destroy) => destroy());
      replacement = await startTestRelay({ configYaml: yaml, redisUrl: redis.url, role: 'worker', prefix });
      await waitFor(() => sink.requests.length === 2, 20_000);
      await new Promise((r) => setTimeout(r, 1500));
      assert.equal(sink.requests.length, 2);
      assert.equal(sink.requests[0]?.headers['webhook-id'], sink.requests[1]?.headers['webhook-id']);
    } finally {
      child.kill('SIGKILL');
      await replacement?.close();
      await receiver.close();
      await sink.close();
      await redis.stop();
    }
  });
});

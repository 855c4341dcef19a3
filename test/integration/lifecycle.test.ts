import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { createServer, type Server } from 'node:net';
import { getPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { RelayStartError } from '../../src/app/listen';
import { readEnv } from '../../src/config/read-env';
import { createLogger } from '../../src/log/create-logger';
import { startRelay, type Role } from '../../src/app/start-relay';
import { githubSignature } from '../helpers/sign';
import { answer, startCaptureServer, type CaptureServer } from '../helpers/start-capture-server';
import { freePort, startRedis, type TestRedis } from '../helpers/start-redis';
import { startRelayProcess } from '../helpers/start-relay-process';
import { startTestRelay, waitFor, type TestRelay } from '../helpers/start-test-relay';

const secret = 'lifecycle-secret';

function configYaml(sinkUrl: string, githubSecret = '${GH_SECRET:-lifecycle-secret}'): string {
  return `version: 1
sources: [{ id: github, provider: github, secrets: ["${githubSecret}"] }]
sinks: [{ id: a, type: http, url: "${sinkUrl}", retry: { attempts: 20, initialDelayMs: 50, maxDelayMs: 300 } }]
routes: [{ name: all, sinks: [a] }]
`;
}

/** A workflow_run body made distinct by its run id, so each is its own notification. */
function runBody(runId: number): string {
  const payload = JSON.parse(
    readFileSync(join(__dirname, '../fixtures/github/workflow_run.completed.failure.json'), 'utf8'),
  ) as { workflow_run: { id: number } };
  payload.workflow_run.id = runId;
  return JSON.stringify(payload);
}

/** One signed webhook over `agent` (keep-alive); resolves with status, Connection header and body. */
function postOver(agent: Agent, baseUrl: string, runId: number) {
  const body = runBody(runId);
  return new Promise<{ status: number; connection: string | undefined; body: string }>((resolve, reject) => {
    const req = httpRequest(
      `${baseUrl}/hooks/github`,
      {
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          'x-github-event': 'workflow_run',
          'x-github-delivery': randomUUID(),
          'x-hub-signature-256': githubSignature(secret, body),
        },
      },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString('utf8')));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, body: text }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('lifecycle (real Redis)', function () {
  this.timeout(40_000);
  let redis: TestRedis;
  let sink: CaptureServer;
  const relays: TestRelay[] = [];

  beforeEach(async () => {
    redis = await startRedis();
    sink = await startCaptureServer(answer(200));
  });
  afterEach(async () => {
    await Promise.all(relays.splice(0).map((r) => r.close()));
    await Promise.all([sink.close(), redis.stop()]);
  });

  it('says "port N is in use; set PORT" when the port is taken', async () => {
    const taken: Server = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as { port: number }).port;
    const dir = mkdtempSync(join(tmpdir(), 'ci-relay-port-'));
    writeFileSync(join(dir, 'relay.yaml'), configYaml(sink.url));
    try {
      await assert.rejects(
        startRelay({
          configFile: join(dir, 'relay.yaml'),
          redisUrl: redis.url,
          port,
          host: '127.0.0.1',
          log: createLogger('silent'),
          watchConfig: false,
        }),
        (e: unknown) =>
          e instanceof RelayStartError && e.message === `[relay] port ${port} is in use; set PORT`,
      );
    } finally {
      taken.close();
    }
  });

  it('drains within the grace period under keep-alive load: answers in flight with Connection: close, then closes', async () => {
    const relay = await startTestRelay({
      configYaml: configYaml(sink.url),
      redisUrl: redis.url,
      more: { gracePeriodMs: 1500 },
    });
    const agent = new Agent({ keepAlive: true, maxSockets: 4 });
    let stop = false;
    const answers: Array<{ status: number; connection: string | undefined }> = [];
    let runId = 1000;
    const client = async () => {
      while (!stop) {
        try {
          answers.push(await postOver(agent, relay.url, runId++));
        } catch {
          return; // the relay closed the connection and stopped accepting
        }
      }
    };
    const clients = [client(), client(), client(), client()];
    await waitFor(() => answers.length >= 20);
    // One request certainly in flight when the drain starts: half its body is sent before, half after.
    const body = runBody(999);
    const own = new Agent({ keepAlive: true });
    const inFlight = new Promise<{ status: number; connection: string | undefined }>((resolve, reject) => {
      const req = httpRequest(`${relay.url}/hooks/github`, {
        method: 'POST',
        agent: own,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          'x-github-event': 'workflow_run',
          'x-github-delivery': randomUUID(),
          'x-hub-signature-256': githubSignature(secret, body),
        },
      });
      req.on('response', (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection }));
      });
      req.on('error', reject);
      req.write(body.slice(0, 100));
      setTimeout(() => req.end(body.slice(100)), 300);
    });
    await new Promise((r) => setTimeout(r, 100));
    const started = Date.now();
    const finished = await relay.close();
    const took = Date.now() - started;
    stop = true;
    await Promise.all(clients);
    const last = await inFlight;
    agent.destroy();
    own.destroy();
    assert.ok(took < 2500, `close took ${took} ms`);
    assert.equal(finished, true);
    assert.ok(
      answers.every((a) => a.status === 202),
      'every answered request was accepted',
    );
    assert.deepEqual(
      last,
      { status: 202, connection: 'close' },
      'the request in flight is answered, with Connection: close',
    );
  });

  it('stops within the grace period when Redis is unreachable, and /readyz says why it is not ready', async () => {
    const relay = await startTestRelay({
      configYaml: configYaml(sink.url),
      redisUrl: redis.url,
      more: { gracePeriodMs: 1500 },
    });
    await redis.stop();
    await waitFor(async () => (await request(relay.url).get('/readyz')).status === 503);
    const ready = await request(relay.url).get('/readyz');
    assert.match(
      (ready.body as { error: { message: string } }).error.message,
      /Redis is not reachable \(connection \w+/,
    );
    const started = Date.now();
    await relay.close();
    assert.ok(Date.now() - started < 2500, `close took ${Date.now() - started} ms`);
  });

  it('is ready again within a second of Redis coming back (reconnect backoff capped low)', async () => {
    const relay = await startTestRelay({ configYaml: configYaml(sink.url), redisUrl: redis.url });
    relays.push(relay);
    await redis.stop();
    // Long enough for an uncapped backoff to grow.
    await waitFor(async () => (await request(relay.url).get('/readyz')).status === 503);
    await new Promise((r) => setTimeout(r, 3000));
    await redis.start();
    const back = Date.now();
    await waitFor(async () => (await request(relay.url).get('/readyz')).status === 200, 5000);
    assert.ok(Date.now() - back < 1500, `ready ${Date.now() - back} ms after Redis was back`);
  });

  it('re-reads .env on reload as check-config does, and counts reloads in ci_relay_config_reload_total', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ci-relay-dotenv-'));
    const envFile = join(dir, '.env');
    writeFileSync(envFile, 'GH_SECRET=first-secret\n');
    const relay = await startTestRelay({
      configYaml: configYaml(sink.url, '${GH_SECRET}'),
      redisUrl: redis.url,
      more: { env: () => readEnv({ ...process.env, GH_SECRET: undefined }, envFile) },
    });
    relays.push(relay);
    assert.deepEqual(relay.configStore.current().sources.get('github')?.secrets, ['first-secret']);
    writeFileSync(envFile, 'GH_SECRET=rotated-secret\n');
    assert.equal(relay.configStore.reload(), true);
    assert.deepEqual(relay.configStore.current().sources.get('github')?.secrets, ['rotated-secret']);
    writeFileSync(envFile, '# GH_SECRET removed\n');
    assert.equal(relay.configStore.reload(), false);
    assert.ok(relay.logLines.some((l) => l.includes('reload refused') && l.includes('GH_SECRET is not set')));
    const metrics = (await request(relay.url).get('/metrics')).text;
    assert.match(metrics, /ci_relay_config_reload_total\{result="success"\} 1/);
    assert.match(metrics, /ci_relay_config_reload_total\{result="failure"\} 1/);
  });

  it('reloads when .env is edited, as it does when the config file is', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ci-relay-dotenv-watch-'));
    const envFile = join(dir, '.env');
    writeFileSync(envFile, 'GH_SECRET=first-secret\n');
    const relay = await startTestRelay({
      configYaml: configYaml(sink.url, '${GH_SECRET}'),
      redisUrl: redis.url,
      more: { env: () => readEnv({}, envFile), envFile, watchConfig: true },
    });
    relays.push(relay);
    writeFileSync(envFile, 'GH_SECRET=edited-secret\n');
    await waitFor(() => relay.configStore.current().sources.get('github')?.secrets?.[0] === 'edited-secret');
  });

  it('warns at start and in /readyz when a secret published in .env.example is in use', async () => {
    const relay = await startTestRelay({
      configYaml: configYaml(sink.url, 'change-me-github-secret'),
      redisUrl: redis.url,
      more: { publishedSecrets: new Map([['change-me-github-secret', 'GITHUB_WEBHOOK_SECRET']]) },
    });
    relays.push(relay);
    assert.ok(relay.logLines.some((l) => l.includes('"level":40') && l.includes('GITHUB_WEBHOOK_SECRET')));
    const ready = await request(relay.url).get('/readyz');
    assert.equal(ready.status, 200);
    const { warnings } = ready.body as { warnings: string[] };
    assert.equal(warnings.length, 1);
    assert.match(warnings[0] ?? '', /source "github" uses the example value of GITHUB_WEBHOOK_SECRET/);
    assert.doesNotMatch(
      JSON.stringify(ready.body),
      /change-me-github-secret/,
      'the value itself is never shown',
    );
  });
});

describe('ci-relay start as a process', function () {
  this.timeout(60_000);

  it('exits 1 with "port N is in use; set PORT" when the port is taken', async () => {
    const redis = await startRedis();
    const taken: Server = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as { port: number }).port;
    try {
      const relay = await startRelayProcess({
        configYaml: configYaml('http://127.0.0.1:1/'),
        port,
        env: { REDIS_URL: redis.url },
        noWait: true,
      });
      assert.equal(await relay.exited, 1);
      assert.match(relay.output(), new RegExp(`port ${port} is in use; set PORT`));
      assert.doesNotMatch(relay.output(), /Cannot read properties/);
    } finally {
      taken.close();
      await redis.stop();
    }
  });

  it('stops at once on a second SIGTERM/SIGINT, even with deliveries stuck', async () => {
    const redis = await startRedis();
    const stuck = await startCaptureServer(() => undefined); // never answers
    const port = await freePort();
    const relay = await startRelayProcess({
      configYaml: configYaml(stuck.url),
      port,
      env: { REDIS_URL: redis.url, SHUTDOWN_GRACE_MS: '30000' },
    });
    try {
      const agent = new Agent({ keepAlive: false });
      assert.equal((await postOver(agent, relay.url, 1)).status, 202);
      await waitFor(() => stuck.requests.length === 1);
      relay.child.kill('SIGTERM');
      await waitFor(() => relay.output().includes('shutting down'));
      const started = Date.now();
      relay.child.kill('SIGINT');
      assert.equal(await relay.exited, 1);
      assert.ok(Date.now() - started < 2000, `exited ${Date.now() - started} ms after the second signal`);
    } finally {
      relay.child.kill('SIGKILL');
      await stuck.close();
      await redis.stop();
    }
  });

  it('a --role worker process runs at workers.nice (default 10) below the priority it was started with; a receiver keeps it', async () => {
    const redis = await startRedis();
    const started: Array<Awaited<ReturnType<typeof startRelayProcess>>> = [];
    const start = async (role: Role, yaml: string) => {
      const relay = await startRelayProcess({
        configYaml: yaml,
        port: await freePort(),
        env: { REDIS_URL: redis.url },
        role,
      });
      started.push(relay);
      return relay;
    };
    try {
      const own = getPriority();
      const yaml = configYaml('http://127.0.0.1:1/');
      const worker = await start('worker', yaml);
      assert.equal(getPriority(worker.child.pid), Math.min(19, own + 10));
      assert.match(worker.output(), /worker CPU priority lowered to nice/);
      const receiver = await start('receiver', yaml);
      assert.equal(getPriority(receiver.child.pid), own);
      const unchanged = await start('worker', `${yaml}workers: { nice: 0 }\n`);
      assert.equal(getPriority(unchanged.child.pid), own);
    } finally {
      for (const relay of started) relay.child.kill('SIGKILL');
      await Promise.all(started.map((relay) => relay.exited));
      await redis.stop();
    }
  });

  it('exits within the grace period when its Redis has gone away', async () => {
    const redis = await startRedis();
    const sink = await startCaptureServer(answer(200));
    const relay = await startRelayProcess({
      configYaml: configYaml(sink.url),
      port: await freePort(),
      env: { REDIS_URL: redis.url, SHUTDOWN_GRACE_MS: '2000' },
    });
    try {
      await redis.stop();
      await waitFor(() => relay.output().includes('[redis] connection error'));
      const started = Date.now();
      relay.child.kill('SIGTERM');
      assert.equal(await relay.exited, 0);
      assert.ok(Date.now() - started < 3500, `exited after ${Date.now() - started} ms`);
    } finally {
      relay.child.kill('SIGKILL');
      await sink.close();
    }
  });
});

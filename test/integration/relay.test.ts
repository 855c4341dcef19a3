import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { eventStreamKeys } from '../../src/pipeline/event-stream';
import request from 'supertest';
import { deliveryQueueName, eventQueueName } from '../../src/pipeline/queue-names';
import { githubSignature, standardWebhookHeaders } from '../helpers/sign';
import {
  answer,
  startCaptureServer,
  type CaptureServer,
  type Respond,
} from '../helpers/start-capture-server';
import { freePort, startRedis, type TestRedis } from '../helpers/start-redis';
import { startTestRelay, waitFor, type TestRelay } from '../helpers/start-test-relay';

const githubSecret = 'integration-github-secret';
const oldGithubSecret = 'integration-github-old-secret';
const genericSecret = `whsec_${Buffer.from('integration-generic-secret-32bytes!!').toString('base64')}`;
const sinkSecret = `whsec_${Buffer.from('integration-sink-signing-key-32bytes').toString('base64')}`;
const secrets = [githubSecret, oldGithubSecret, genericSecret, sinkSecret];

const fixture = (name: string) => readFileSync(join(__dirname, '../fixtures/github', name), 'utf8');

/** Answers the given statuses in turn, then 200. */
function answerInTurn(...statuses: number[]): Respond {
  return (req, res) => answer(statuses.shift() ?? 200)(req, res);
}

function configYaml(sinkUrl: string, extra = ''): string {
  return `
version: 1
receiver: { bodyLimitBytes: 65536 }
sources:
  - id: github
    provider: github
    secrets: ["\${OLD_SECRET}", "\${GITHUB_SECRET}"]
  - id: ci
    provider: generic
    secrets: ["${genericSecret}"]
sinks:
  - id: hook
    type: http
    url: "${sinkUrl}"
    secret: "${sinkSecret}"
    retry: { attempts: 4, initialDelayMs: 50, maxDelayMs: 200 }
routes:
  - name: everything
    sinks: [hook]
${extra}`;
}

function postGithub(
  relay: TestRelay,
  event: string,
  body: string,
  delivery = randomUUID(),
  secret = githubSecret,
) {
  return request(relay.url)
    .post('/hooks/github')
    .set('content-type', 'application/json')
    .set('x-github-event', event)
    .set('x-github-delivery', delivery)
    .set('x-hub-signature-256', githubSignature(secret, body))
    .send(body);
}

describe('relay end to end (real Redis, local HTTP receiver)', function () {
  this.timeout(30_000);
  let redis: TestRedis;
  let sink: CaptureServer;
  let relay: TestRelay;
  let respond: Respond;

  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    await redis.stop();
  });
  beforeEach(async () => {
    respond = answer(200);
    sink = await startCaptureServer((req, res) => respond(req, res), sinkSecret);
    relay = await startTestRelay({
      configYaml: configYaml(sink.url),
      redisUrl: redis.url,
      env: { GITHUB_SECRET: githubSecret, OLD_SECRET: oldGithubSecret },
    });
  });
  afterEach(async () => {
    await relay.close();
    await sink.close();
    for (const line of relay.logLines) {
      for (const secret of secrets)
        assert.ok(!line.includes(secret), `a secret appeared in a log line: ${line}`);
    }
  });

  const deliveries = () => sink.requests.filter((r) => r.body.length > 0);
  /** The last id ever appended to the event stream: it moves with every event queued, routed or not. */
  const eventCounts = async () => {
    const client = new Redis(redis.url);
    try {
      const stream = eventStreamKeys(relay.prefix, eventQueueName).stream;
      if ((await client.exists(stream)) === 0) return '0-0';
      const info = (await client.xinfo(
        'STREAM',
        eventStreamKeys(relay.prefix, eventQueueName).stream,
      )) as unknown[];
      return info[info.indexOf('last-generated-id') + 1];
    } finally {
      client.disconnect();
    }
  };

  it('delivers a signed workflow_run to the http sink once, signed', async () => {
    const res = await postGithub(relay, 'workflow_run', fixture('workflow_run.completed.failure.json'));
    assert.equal(res.status, 202);
    assert.equal(res.body.accepted, true);
    assert.equal(res.body.events.length, 1);
    await waitFor(() => deliveries().length === 1);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(deliveries().length, 1);
    const [delivered] = deliveries();
    assert.ok(delivered);
    assert.equal(delivered.signatureValid, true);
    assert.equal(delivered.headers['content-type'], 'application/json');
    const envelope = JSON.parse(delivered.body) as { type: string; data: Record<string, unknown> };
    assert.equal(envelope.type, 'ci.pipeline.failure');
    assert.equal(envelope.data.id, res.body.events[0]);
    assert.equal(envelope.data.source, 'github');
    assert.equal(envelope.data.transition, 'broken');
  });

  it('accepts a delivery signed with the older of two rotated secrets', async () => {
    const res = await postGithub(
      relay,
      'workflow_job',
      fixture('workflow_job.completed.failure.json'),
      randomUUID(),
      oldGithubSecret,
    );
    assert.equal(res.status, 202);
    await waitFor(() => deliveries().length === 1);
  });

  it('answers a redelivery (same X-GitHub-Delivery) 200 and does not deliver it again', async () => {
    const body = fixture('workflow_run.completed.success.json');
    const id = randomUUID();
    const first = await postGithub(relay, 'workflow_run', body, id);
    assert.equal(first.status, 202);
    const again = await postGithub(relay, 'workflow_run', body, id);
    assert.equal(again.status, 200);
    assert.equal(again.body.duplicate, true);
    assert.deepEqual(again.body.events, first.body.events);
    await waitFor(() => deliveries().length === 1);
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(deliveries().length, 1);
  });

  it('sends the same state of a run once even under a new delivery id', async () => {
    const body = fixture('workflow_run.completed.success.json');
    assert.equal((await postGithub(relay, 'workflow_run', body)).status, 202);
    assert.equal((await postGithub(relay, 'workflow_run', body)).status, 202);
    await waitFor(() => deliveries().length === 1);
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(deliveries().length, 1);
  });

  it('retries a receiver that answers 500 twice, delivering exactly once with one webhook-id', async () => {
    respond = answerInTurn(500, 500);
    assert.equal(
      (await postGithub(relay, 'workflow_run', fixture('workflow_run.in_progress.json'))).status,
      202,
    );
    await waitFor(() => sink.requests.length === 3);
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(sink.requests.length, 3);
    assert.equal(new Set(sink.requests.map((r) => r.headers['webhook-id'])).size, 1);
    assert.ok(sink.requests.every((r) => r.signatureValid));
  });

  it('does not retry a 400 and dead-letters the notification', async () => {
    respond = answer(400);
    assert.equal(
      (await postGithub(relay, 'workflow_run', fixture('workflow_run.requested.json'))).status,
      202,
    );
    const queue = new Queue(deliveryQueueName('hook'), {
      connection: { url: redis.url },
      prefix: relay.prefix,
    });
    try {
      await waitFor(async () => (await queue.getFailedCount()) === 1);
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(sink.requests.length, 1);
      const [failed] = await queue.getFailed();
      assert.match(failed?.failedReason ?? '', /HTTP 400/);
      const metrics = await request(relay.url).get('/metrics');
      assert.match(metrics.text, /ci_relay_queue_jobs\{queue="deliver-hook",state="failed"\} 1/);
    } finally {
      await queue.close();
    }
  });

  it('answers ping 200 and ignores events that are not CI status (202, nothing delivered)', async () => {
    const ping = await postGithub(relay, 'ping', fixture('ping.json'));
    assert.equal(ping.status, 200);
    const push = await postGithub(relay, 'push', fixture('push.json'));
    assert.equal(push.status, 202);
    assert.equal(push.body.ignored, true);
    assert.match(push.body.reason, /push/);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(sink.requests.length, 0);
  });

  it('accepts GitHub form-encoded deliveries signed over the raw form body', async () => {
    const form = `payload=${encodeURIComponent(fixture('workflow_run.completed.failure.json'))}`;
    const res = await request(relay.url)
      .post('/hooks/github')
      .set('content-type', 'application/x-www-form-urlencoded')
      .set('x-github-event', 'workflow_run')
      .set('x-github-delivery', randomUUID())
      .set('x-hub-signature-256', githubSignature(githubSecret, form))
      .send(form);
    assert.equal(res.status, 202);
    await waitFor(() => deliveries().length === 1);
  });

  it('takes a Standard Webhooks-signed generic event', async () => {
    const body = JSON.stringify({
      kind: 'pipeline',
      status: 'failure',
      providerStatus: 'failed',
      repository: { name: 'acme/monorepo' },
      branch: 'main',
      commit: { sha: '0123456789abcdef0123456789abcdef01234567' },
      pipeline: { id: '77', name: 'nightly' },
    });
    const res = await request(relay.url)
      .post('/hooks/ci')
      .set('content-type', 'application/json')
      .set(standardWebhookHeaders(genericSecret, 'msg_generic_1', body))
      .send(body);
    assert.equal(res.status, 202, JSON.stringify(res.body));
    await waitFor(() => deliveries().length === 1);
    const data = (JSON.parse(deliveries()[0]?.body ?? '{}') as { data: Record<string, unknown> }).data;
    assert.equal(data.deliveryId, 'msg_generic_1');
    assert.equal(data.provider, 'generic');
  });

  describe('bad input: a clear JSON error and nothing queued', () => {
    const body = () => fixture('workflow_run.completed.success.json');
    const cases: Array<{ name: string; status: number; code: string; send: (r: TestRelay) => request.Test }> =
      [
        {
          name: 'missing signature',
          status: 401,
          code: 'missing_signature',
          send: (r) =>
            request(r.url)
              .post('/hooks/github')
              .set('content-type', 'application/json')
              .set('x-github-event', 'workflow_run')
              .send(body()),
        },
        {
          name: 'wrong signature',
          status: 401,
          code: 'bad_signature',
          send: (r) => postGithub(r, 'workflow_run', body(), randomUUID(), 'not-the-secret'),
        },
        {
          name: 'unknown source',
          status: 404,
          code: 'unknown_source',
          send: (r) =>
            request(r.url).post('/hooks/nope').set('content-type', 'application/json').send(body()),
        },
        {
          name: 'body that is not JSON',
          status: 400,
          code: 'malformed_payload',
          send: (r) => postGithub(r, 'workflow_run', '{"workflow_run": {'),
        },
        {
          name: 'body over the limit',
          status: 413,
          code: 'payload_too_large',
          send: (r) => postGithub(r, 'workflow_run', JSON.stringify({ padding: 'x'.repeat(70_000) })),
        },
        {
          name: 'wrong content type',
          status: 415,
          code: 'unsupported_media_type',
          send: (r) =>
            request(r.url)
              .post('/hooks/github')
              .set('content-type', 'text/plain')
              .set('x-github-event', 'workflow_run')
              .set('x-hub-signature-256', githubSignature(githubSecret, body()))
              .send(body()),
        },
        {
          name: 'a CI event with a required field missing',
          status: 400,
          code: 'invalid_event',
          send: (r) => {
            const payload = JSON.parse(body()) as { workflow_run: Record<string, unknown> };
            delete payload.workflow_run.id;
            return postGithub(r, 'workflow_run', JSON.stringify(payload));
          },
        },
      ];
    for (const c of cases) {
      it(`${c.name}: ${c.status}`, async () => {
        const before = await eventCounts();
        const res = await c.send(relay);
        assert.equal(res.status, c.status);
        assert.equal(res.body.error.code, c.code);
        assert.equal(typeof res.body.error.message, 'string');
        for (const secret of secrets) assert.ok(!res.text.includes(secret));
        assert.equal(await eventCounts(), before);
      });
    }

    it('names the missing field', async () => {
      const payload = JSON.parse(body()) as { workflow_run: Record<string, unknown> };
      delete payload.workflow_run.id;
      const res = await postGithub(relay, 'workflow_run', JSON.stringify(payload));
      assert.match(res.body.error.message, /workflow_run\.id/);
    });
  });

  it('answers 503 while Redis is unreachable, and /readyz says not ready', async () => {
    const down = await startTestRelay({
      configYaml: configYaml(sink.url),
      redisUrl: `redis://127.0.0.1:${await freePort()}`,
      role: 'receiver',
      env: { GITHUB_SECRET: githubSecret, OLD_SECRET: oldGithubSecret },
    });
    try {
      const res = await postGithub(down, 'workflow_run', fixture('workflow_run.completed.success.json'));
      assert.equal(res.status, 503);
      assert.equal(res.body.error.code, 'queue_unavailable');
      assert.equal((await request(down.url).get('/readyz')).status, 503);
      assert.equal((await request(down.url).get('/healthz')).status, 200);
      assert.equal((await request(down.url).get('/metrics')).status, 200);
    } finally {
      await down.close();
    }
  });

  it('serves /healthz, /readyz and /metrics', async () => {
    assert.equal((await request(relay.url).get('/healthz')).status, 200);
    assert.equal((await request(relay.url).get('/readyz')).status, 200);
    await postGithub(relay, 'ping', fixture('ping.json'));
    const metrics = await request(relay.url).get('/metrics');
    assert.equal(metrics.status, 200);
    assert.match(metrics.text, /ci_relay_webhooks_total\{source="github",outcome="ping"\} 1/);
  });
});

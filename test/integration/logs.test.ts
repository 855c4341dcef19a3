import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import request from 'supertest';
import { deliveryQueueName } from '../../src/pipeline/queue-names';
import { logFormat } from '../../src/log/create-logger';
import { standardWebhookHeaders } from '../helpers/sign';
import {
  answer,
  startCaptureServer,
  type CaptureServer,
  type Respond,
} from '../helpers/start-capture-server';
import { startRedis, type TestRedis } from '../helpers/start-redis';
import { startTestRelay, waitFor, type TestRelay } from '../helpers/start-test-relay';
import { sampleEvent } from '../helpers/sample-event';

const secret = `whsec_${Buffer.from('logs-test-generic-secret-32-bytes!').toString('base64')}`;

interface Line {
  level: number;
  msg: string;
  [key: string]: unknown;
}

describe('logs people can read (info: one line per webhook and per delivery outcome)', function () {
  this.timeout(30_000);
  let redis: TestRedis;
  let sink: CaptureServer;
  let respond: Respond = answer(503);
  let relay: TestRelay;
  const lines = () => relay.logLines.map((l) => JSON.parse(l) as Line);

  before(async () => {
    redis = await startRedis();
    sink = await startCaptureServer((req, res) => respond(req, res));
    relay = await startTestRelay({
      redisUrl: redis.url,
      configYaml: `
version: 1
sources: [{ id: ci, provider: generic, secrets: ["${secret}"] }]
sinks: [{ id: hook, type: http, url: "${sink.url}", retry: { attempts: 3, initialDelayMs: 10, maxDelayMs: 20 } }]
routes: [{ name: all, sinks: [hook] }]
`,
    });
  });
  after(async () => {
    await relay.close();
    await sink.close();
    await redis.stop();
  });

  const send = async (n: number) => {
    const {
      id: _id,
      schemaVersion: _v,
      source: _s,
      provider: _p,
      deliveryId: _d,
      receivedAt: _r,
      ...body
    } = sampleEvent({
      pipeline: { id: `run-${n}`, name: 'CI' },
    });
    const text = JSON.stringify(body);
    const res = await request(relay.url)
      .post('/hooks/ci')
      .set('content-type', 'application/json')
      .set(standardWebhookHeaders(secret, randomUUID(), text))
      .send(text)
      .expect(202);
    return res.body.events[0] as string;
  };

  it('a down sink logs once when it starts failing and once when it recovers', async () => {
    const ids = [await send(1), await send(2), await send(3)];
    const failed = new Queue(deliveryQueueName('hook'), {
      connection: { url: redis.url },
      prefix: relay.prefix,
    });
    await waitFor(async () => (await failed.getFailedCount()) === 3);
    await failed.close();
    assert.equal(sink.requests.length, 9);
    const failing = lines().filter((l) => l.msg.includes('is failing'));
    assert.equal(failing.length, 1, 'one warning for nine failed attempts');
    assert.equal(failing[0]?.level, 40);
    // Each dead letter is one line naming the notification and the event it came from.
    const dead = lines().filter((l) => l.state === 'failed');
    assert.deepEqual(dead.map((l) => l.event).sort(), [...ids].sort());
    assert.ok(dead.every((l) => l.level === 50 && typeof l.notification === 'string'));

    respond = answer(200);
    const id = await send(4);
    await waitFor(() => lines().some((l) => l.state === 'sent' && l.event === id));
    assert.equal(lines().filter((l) => l.msg.includes('recovered')).length, 1);
    // Accepted webhooks at info, with their event ids: the correlation id from receiver to sink.
    const accepted = lines().filter((l) => l.level === 30 && l.msg.startsWith('[receiver] accepted'));
    assert.deepEqual(
      accepted.map((l) => (l.events as string[])[0]),
      [...ids, id],
    );
    const sent = lines().find((l) => l.state === 'sent' && l.event === id);
    assert.equal(sent?.level, 30);
    assert.equal(sent?.attempt, 1);
    // Attempts that will be retried are not info lines.
    assert.equal(lines().filter((l) => l.level >= 30 && l.state === 'retrying').length, 0);
  });

  it('LOG_FORMAT picks JSON or readable lines; a terminal gets readable ones by default', () => {
    assert.equal(logFormat({}, false), 'json');
    assert.equal(logFormat({}, true), 'pretty');
    assert.equal(logFormat({ LOG_FORMAT: 'json' }, true), 'json');
    assert.equal(logFormat({ LOG_FORMAT: 'pretty' }, false), 'pretty');
  });
});

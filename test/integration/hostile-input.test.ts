import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { githubSignature, standardWebhookHeaders } from '../helpers/sign';
import { rawJson, rawRequest } from '../helpers/raw-http';
import { answer, startCaptureServer, type CaptureServer } from '../helpers/start-capture-server';
import { startRedis, type TestRedis } from '../helpers/start-redis';
import { startTestRelay, waitFor, type TestRelay } from '../helpers/start-test-relay';

const secret = 'hostile-github-secret';
const whsec = `whsec_${Buffer.from('hostile-input-signing-key-32-bytes!!').toString('base64')}`;
const fixture = (dir: string, name: string) =>
  JSON.parse(readFileSync(join(__dirname, '../fixtures', dir, name), 'utf8')) as Record<string, unknown>;

describe('hostile and broken input (real HTTP, real Redis)', function () {
  this.timeout(30_000);
  let redis: TestRedis;
  let sink: CaptureServer;
  let relay: TestRelay;

  before(async () => {
    redis = await startRedis();
    sink = await startCaptureServer(answer(200));
    relay = await startTestRelay({
      configYaml: `version: 1
receiver: { bodyLimitBytes: 4096000 }
sources:
  - { id: github, provider: github, secrets: ["${secret}"] }
  - { id: jenkins, provider: jenkins, secrets: ["${whsec}"] }
  - { id: generic, provider: generic, secrets: ["${whsec}"] }
sinks: [{ id: a, type: http, url: "${sink.url}" }]
routes: [{ name: all, sinks: [a] }]
`,
      redisUrl: redis.url,
      more: { httpTimeouts: { headersTimeoutMs: 1000, requestTimeoutMs: 1000 } },
    });
  });
  after(async () => {
    await relay.close();
    await sink.close();
    await redis.stop();
  });

  const github = (body: Buffer | string, headers: Record<string, string> = {}) =>
    request(relay.url)
      .post('/hooks/github')
      .set('content-type', 'application/json')
      .set('x-github-event', 'workflow_run')
      .set('x-github-delivery', randomUUID())
      .set('x-hub-signature-256', githubSignature(secret, body))
      .set(headers)
      .send(body);

  const standard = (source: string, body: string) => {
    const headers = standardWebhookHeaders(whsec, `msg_${randomUUID()}`, body);
    return request(relay.url)
      .post(`/hooks/${source}`)
      .set('content-type', 'application/json')
      .set(headers)
      .send(body);
  };

  it('drops a Jenkins duration of 1e20 and a timestamp out of Date range: accepted, never a 500', async () => {
    const payload = fixture('jenkins', 'completed.failure.json') as { build: Record<string, unknown> };
    payload.build.duration = 1e20;
    const res = await standard('jenkins', JSON.stringify(payload));
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const before = sink.requests.length;
    await waitFor(() => sink.requests.length > before);
    const delivered = JSON.parse(sink.requests.at(-1)?.body ?? '{}') as { data: Record<string, unknown> };
    assert.equal(delivered.data.durationMs, undefined);
    assert.equal(delivered.data.startedAt, undefined);

    const run = fixture('github', 'workflow_run.completed.failure.json') as {
      workflow_run: Record<string, unknown>;
    };
    run.workflow_run.created_at = 1.7e18; // epoch nanoseconds
    run.workflow_run.updated_at = '+275760-09-13T00:00:00.001Z';
    const answer = await github(JSON.stringify(run));
    assert.equal(answer.status, 202, JSON.stringify(answer.body));
  });

  it('refuses a generic event with a number out of range with a 400 naming the field', async () => {
    const body = {
      kind: 'pipeline',
      status: 'failure',
      providerStatus: 'failed',
      repository: { name: 'acme/web' },
      commit: { sha: 'abc' },
      pipeline: { id: '1', name: 'CI' },
      durationMs: 1e20,
    };
    const res = await standard('generic', JSON.stringify(body));
    assert.equal(res.status, 400);
    assert.match((res.body as { error: { message: string } }).error.message, /durationMs/);
  });

  it('caps the problems listed for a body with 100k unknown keys, in the answer and in the log', async () => {
    const body: Record<string, unknown> = {
      kind: 'pipeline',
      status: 'failure',
      providerStatus: 'failed',
      repository: { name: 'acme/web' },
      commit: { sha: 'abc' },
      pipeline: { id: '1', name: 'CI' },
    };
    for (let i = 0; i < 100_000; i++) body[`unknown_key_${i}`] = i;
    const logged = relay.logLines.length;
    const res = await standard('generic', JSON.stringify(body));
    assert.equal(res.status, 400);
    assert.ok(res.text.length < 2000, `answer is ${res.text.length} bytes`);
    assert.match(res.text, /and 99995 more/);
    const lines = relay.logLines.slice(logged);
    assert.ok(lines.length > 0 && lines.every((l) => l.length < 4000), 'log lines are bounded');
  });

  it('refuses invalid UTF-8 in a signed JSON body with 400 malformed_payload, and a declared non-UTF-8 charset with 415', async () => {
    const text = JSON.stringify(fixture('github', 'workflow_run.completed.failure.json'));
    const bad = Buffer.concat([
      Buffer.from(text.slice(0, 20)),
      Buffer.from([0xc3, 0x28, 0xff]),
      Buffer.from(text.slice(20)),
    ]);
    // Raw bytes on the wire: an HTTP client library might re-encode a Buffer it is told is JSON.
    const res = await rawRequest(
      relay.url,
      'POST /hooks/github HTTP/1.1\r\nhost: x\r\nconnection: close\r\ncontent-type: application/json\r\n' +
        `x-github-event: workflow_run\r\nx-github-delivery: ${randomUUID()}\r\n` +
        `x-hub-signature-256: ${githubSignature(secret, bad)}\r\ncontent-length: ${bad.length}\r\n\r\n`,
      { body: bad },
    );
    assert.match(res.text, /^HTTP\/1\.1 400 /);
    assert.equal((rawJson(res.text) as { error: { code: string } }).error.code, 'malformed_payload');
    assert.match(res.text, /not valid UTF-8/);

    const form = `payload=${encodeURIComponent(text).replace('%7B', '%C3%28')}`;
    const formRes = await github(form, { 'content-type': 'application/x-www-form-urlencoded' });
    assert.equal(formRes.status, 400);
    assert.match(formRes.text, /not valid UTF-8/);

    const latin1 = await github(text, { 'content-type': 'application/json; charset=iso-8859-1' });
    assert.equal(latin1.status, 415);
    assert.match(latin1.text, /charset/);
    assert.equal((await github(text, { 'content-type': 'application/json; charset=UTF-8' })).status, 202);
  });

  it('refuses an empty delivery-id header with a 400 naming it, rather than falling back to a digest', async () => {
    const text = JSON.stringify(fixture('github', 'workflow_run.completed.failure.json'));
    const res = await github(text, { 'x-github-delivery': '' });
    assert.equal(res.status, 400);
    assert.match(res.text, /x-github-delivery header is empty/);
  });

  it('answers 413 from a declared Content-Length at once, without 100 Continue, and closes the connection', async () => {
    const exchange = await rawRequest(
      relay.url,
      'POST /hooks/github HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n' +
        'content-length: 99999999\r\nexpect: 100-continue\r\n\r\n',
    );
    assert.match(exchange.text, /^HTTP\/1\.1 413 /);
    assert.doesNotMatch(exchange.text, /100 Continue/);
    assert.equal((rawJson(exchange.text) as { error: { code: string } }).error.code, 'payload_too_large');
    assert.ok(exchange.closed, 'the connection is closed');
    assert.ok(exchange.elapsedMs < 900, `answered after ${exchange.elapsedMs} ms`);
  });

  it('does not read the body for an unknown source: 404 at once, connection closed', async () => {
    const exchange = await rawRequest(
      relay.url,
      'POST /hooks/nope HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n',
    );
    assert.match(exchange.text, /^HTTP\/1\.1 404 /);
    assert.ok(
      exchange.closed && exchange.elapsedMs < 900,
      `closed: ${exchange.closed} after ${exchange.elapsedMs} ms`,
    );
    const continued = await rawRequest(
      relay.url,
      'POST /hooks/nope HTTP/1.1\r\nhost: x\r\ncontent-length: 10\r\nexpect: 100-continue\r\n\r\n',
    );
    assert.doesNotMatch(continued.text, /100 Continue/);
    assert.match(continued.text, /HTTP\/1\.1 404 /);
  });

  it('sends 100 Continue for a webhook whose headers pass', async () => {
    const exchange = await rawRequest(
      relay.url,
      'POST /hooks/github HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 2\r\nexpect: 100-continue\r\n\r\n',
      { waitMs: 300 },
    );
    assert.match(exchange.text, /^HTTP\/1\.1 100 Continue/);
  });

  it('gives the errors of the HTTP parser a JSON body: 431 for oversized headers, 400 for garbage', async () => {
    const big = await rawRequest(
      relay.url,
      `GET /healthz HTTP/1.1\r\nhost: x\r\nx-big: ${'a'.repeat(20_000)}\r\n\r\n`,
    );
    assert.match(big.text, /^HTTP\/1\.1 431 /);
    assert.equal((rawJson(big.text) as { error: { code: string } }).error.code, 'headers_too_large');
    const garbage = await rawRequest(relay.url, 'NOT HTTP AT ALL\r\n\r\n');
    assert.match(garbage.text, /^HTTP\/1\.1 400 /);
    assert.equal((rawJson(garbage.text) as { error: { code: string } }).error.code, 'bad_request');
  });

  it('cuts off a body that trickles in after the request timeout, with a 408', async () => {
    const exchange = await rawRequest(
      relay.url,
      'POST /hooks/github HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{"a":',
    );
    assert.ok(exchange.closed, 'the connection is closed');
    assert.ok(exchange.elapsedMs < 4000, `held for ${exchange.elapsedMs} ms`);
    assert.match(exchange.text, /^HTTP\/1\.1 408 /);
  });
});

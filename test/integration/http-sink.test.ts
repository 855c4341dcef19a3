import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type DeliveryError,
  PermanentDeliveryError,
  RateLimitedError,
  RetryableDeliveryError,
} from '../../src/contracts/delivery-errors';
import type { HttpSinkConfig } from '../../sinks/http/config';
import { createHttpSink } from '../../sinks/http/index';
import type { Notification } from '../../src/contracts/sink';
import { validateEvent } from '../../src/event/validate-event';
import { createLogger } from '../../src/log/create-logger';
import { sampleEvent } from '../helpers/sample-event';
import {
  answer,
  startCaptureServer as startServer,
  type CaptureServer as TestServer,
} from '../helpers/start-capture-server';

/** A port that nothing listens on: bound once, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const log = createLogger('silent');
const fixedNowMs = Date.UTC(2024, 4, 1, 12, 0, 7, 250);
const now = () => fixedNowMs;
const secret = `whsec_${randomBytes(32).toString('base64')}`;

function notification(overrides: Partial<Notification> = {}): Notification {
  return { id: 'ntf_01HZY3M2J6QK7R8S9T0V1W2X3Y', route: 'failures', event: sampleEvent(), ...overrides };
}

function sinkConfig(url: string, overrides: Partial<HttpSinkConfig> = {}): HttpSinkConfig {
  return { id: 'ops-hook', type: 'http', url, secret, ...overrides };
}

/** Asserts `promise` rejects with an instance of `type` and returns the error for more checks. */
async function rejection<E extends DeliveryError>(
  promise: Promise<unknown>,
  type: abstract new (...args: never[]) => E,
): Promise<E> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof type, `expected ${type.name}, got ${String(error)}`);
    return error;
  }
  assert.fail(`expected ${type.name}, but the delivery succeeded`);
}

describe('http sink (against a local HTTP server)', function () {
  let server: TestServer | undefined;

  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('is fed a sample event that is a valid CiEvent', () => {
    assert.deepEqual(validateEvent(sampleEvent()), []);
  });

  it('POSTs the signed JSON envelope on a 200', async () => {
    server = await startServer(answer(200), secret);
    const sink = createHttpSink(sinkConfig(server.url), { log, now });
    const n = notification();

    await sink.deliver(n, { attempt: 1 });

    assert.equal(sink.id, 'ops-hook');
    assert.equal(sink.type, 'http');
    assert.equal(server.requests.length, 1);
    const [request] = server.requests;
    assert.ok(request);
    assert.equal(request.method, 'POST');
    assert.equal(request.url, '/hooks/ci');
    assert.equal(request.headers['content-type'], 'application/json');
    assert.equal(request.headers['webhook-id'], n.id);
    assert.equal(request.headers['webhook-timestamp'], String(Math.floor(fixedNowMs / 1000)));
    assert.match(String(request.headers['webhook-signature']), /^v1,[A-Za-z0-9+/]{43}=$/);
    assert.equal(request.signatureValid, true);
    assert.deepEqual(JSON.parse(request.body), {
      type: 'ci.pipeline.failure',
      timestamp: new Date(fixedNowMs).toISOString(),
      data: n.event,
    });
  });

  it('keeps the same webhook-id when the same notification is delivered again', async () => {
    server = await startServer(answer(204), secret);
    const sink = createHttpSink(sinkConfig(server.url), { log, now });
    const n = notification();

    await sink.deliver(n, { attempt: 1 });
    await sink.deliver(n, { attempt: 2 });

    assert.equal(server.requests.length, 2);
    assert.deepEqual(
      server.requests.map((r) => r.headers['webhook-id']),
      [n.id, n.id],
    );
    assert.ok(server.requests.every((r) => r.signatureValid === true));
  });

  it('types the body after the event kind and status', async () => {
    server = await startServer(answer(200), secret);
    const sink = createHttpSink(sinkConfig(server.url), { log, now });
    const job = { id: '42', name: 'test' };

    await sink.deliver(notification({ event: sampleEvent({ kind: 'job', status: 'success', job }) }), {
      attempt: 1,
    });

    const body = JSON.parse(server.requests[0]?.body ?? '') as { type: string };
    assert.equal(body.type, 'ci.job.success');
  });

  it('fails with a retryable serverError on a 500', async () => {
    server = await startServer(answer(500), secret);
    const sink = createHttpSink(sinkConfig(server.url), { log, now });

    const error = await rejection(sink.deliver(notification(), { attempt: 1 }), RetryableDeliveryError);

    assert.ok(!(error instanceof RateLimitedError));
    assert.equal(error.reason, 'serverError');
    assert.equal(error.status, 500);
    assert.equal(error.retryable, true);
    assert.ok(error.message.startsWith('http[ops-hook]'), error.message);
  });

  it('fails as rate limited on a 429, with its Retry-After', async () => {
    server = await startServer(answer(429, { 'retry-after': '7' }), secret);
    const sink = createHttpSink(sinkConfig(server.url), { log, now });

    const error = await rejection(sink.deliver(notification(), { attempt: 1 }), RateLimitedError);

    assert.equal(error.reason, 'rateLimited');
    assert.equal(error.status, 429);
    assert.equal(error.retryAfterMs, 7000);
  });

  it('reads a Retry-After date against the clock it was given', async () => {
    const in30s = new Date(fixedNowMs + 30_000).toUTCString();
    server = await startServer(answer(429, { 'retry-after': in30s }), secret);
    const sink = createHttpSink(sinkConfig(server.url), { log, now });

    const error = await rejection(sink.deliver(notification(), { attempt: 1 }), RateLimitedError);

    // toUTCString drops the 250 ms of fixedNowMs.
    assert.equal(error.retryAfterMs, 29_750);
  });

  it('fails permanently with clientError on a 400', async () => {
    server = await startServer(answer(400), secret);
    const sink = createHttpSink(sinkConfig(server.url), { log, now });

    const error = await rejection(sink.deliver(notification(), { attempt: 1 }), PermanentDeliveryError);

    assert.equal(error.reason, 'clientError');
    assert.equal(error.status, 400);
    assert.equal(error.retryable, false);
  });

  it('fails permanently with authError on a 401', async () => {
    server = await startServer(answer(401), secret);
    const sink = createHttpSink(sinkConfig(server.url), { log, now });

    const error = await rejection(sink.deliver(notification(), { attempt: 1 }), PermanentDeliveryError);

    assert.equal(error.reason, 'authError');
    assert.equal(error.status, 401);
  });

  it('fails with a retryable timeout when the server never answers', async () => {
    server = await startServer(() => undefined, secret);
    const sink = createHttpSink(sinkConfig(server.url, { timeoutMs: 200 }), { log, now });
    const started = Date.now();

    const error = await rejection(sink.deliver(notification(), { attempt: 1 }), RetryableDeliveryError);

    assert.equal(error.reason, 'timeout');
    assert.equal(error.status, undefined);
    assert.ok(error.cause !== undefined, 'keeps the cause');
    assert.ok(Date.now() - started < 5000, 'gave up near timeoutMs');
    assert.equal(server.requests.length, 1);
  });

  it('fails with a retryable network error when nothing listens', async () => {
    const port = await closedPort();
    const sink = createHttpSink(sinkConfig(`http://127.0.0.1:${port}/hooks/ci`), { log, now });

    const error = await rejection(sink.deliver(notification(), { attempt: 1 }), RetryableDeliveryError);

    assert.equal(error.reason, 'network');
    assert.equal(error.status, undefined);
    assert.ok(error.cause !== undefined, 'keeps the cause');
  });

  it('does not follow a 302 and fails permanently', async () => {
    server = await startServer(answer(302, { location: '/elsewhere' }), secret);
    const sink = createHttpSink(sinkConfig(server.url), { log, now });

    const error = await rejection(sink.deliver(notification(), { attempt: 1 }), PermanentDeliveryError);

    assert.equal(error.status, 302);
    assert.equal(error.reason, 'clientError');
    assert.deepEqual(
      server.requests.map((r) => r.url),
      ['/hooks/ci'],
    );
  });

  it('sends the configured extra headers', async () => {
    server = await startServer(answer(200), secret);
    const headers = { 'X-Team': 'web', Authorization: 'Bearer abc123' };
    const sink = createHttpSink(sinkConfig(server.url, { headers }), { log, now });

    await sink.deliver(notification(), { attempt: 1 });

    const [request] = server.requests;
    assert.equal(request?.headers['x-team'], 'web');
    assert.equal(request?.headers.authorization, 'Bearer abc123');
    assert.equal(request?.signatureValid, true);
  });

  it('keeps its own content-type and webhook-* headers over configured ones in any case', async () => {
    server = await startServer(answer(200), secret);
    const headers = { 'Content-Type': 'text/plain', 'Webhook-Id': 'forged', 'WEBHOOK-SIGNATURE': 'v1,AAAA' };
    const sink = createHttpSink(sinkConfig(server.url, { headers }), { log, now });
    const n = notification();

    await sink.deliver(n, { attempt: 1 });

    const [request] = server.requests;
    assert.equal(request?.headers['content-type'], 'application/json');
    assert.equal(request?.headers['webhook-id'], n.id);
    assert.equal(request?.signatureValid, true);
  });

  it('sends no webhook-signature when no secret is configured', async () => {
    server = await startServer(answer(200));
    const config: HttpSinkConfig = { id: 'open-hook', type: 'http', url: server.url };
    const sink = createHttpSink(config, { log, now });
    const n = notification();

    await sink.deliver(n, { attempt: 1 });

    const [request] = server.requests;
    assert.ok(request);
    assert.equal(request.headers['webhook-signature'], undefined);
    assert.equal(request.headers['webhook-id'], n.id);
    assert.equal(request.headers['webhook-timestamp'], String(Math.floor(fixedNowMs / 1000)));
  });

  it('sends a CDEvent in a signed CloudEvent with format: cdevents', async () => {
    server = await startServer(answer(200), secret);
    await createHttpSink(sinkConfig(server.url, { format: 'cdevents' }), { log, now }).deliver(
      notification(),
      { attempt: 1 },
    );
    const [received] = server.requests;
    assert.equal(received?.headers['content-type'], 'application/cloudevents+json');
    assert.equal(received?.signatureValid, true);
    const body = JSON.parse(received?.body ?? '{}') as {
      specversion: string;
      type: string;
      data: { subject: { type: string } };
    };
    assert.equal(body.specversion, '1.0');
    assert.equal(body.type, 'dev.cdevents.pipelinerun.finished.0.2.0');
    assert.equal(body.data.subject.type, 'pipelineRun');
  });
});

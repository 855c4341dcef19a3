import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Agent } from 'undici';
import { postJson, maxBodyBytes } from '../../sinks/post-json';
import {
  PermanentDeliveryError,
  RateLimitedError,
  RetryableDeliveryError,
  type DeliveryError,
} from '../../src/contracts/delivery-errors';
import { freePort } from '../helpers/start-redis';

interface Local {
  url: string;
  bodies: string[];
  /** Connections ever opened, and those open now. */
  opened(): number;
  open(): number;
  close(): Promise<void>;
}

async function serve(respond: (req: IncomingMessage, res: ServerResponse) => void): Promise<Local> {
  const bodies: string[] = [];
  const sockets = new Set<Socket>();
  let opened = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      bodies.push(Buffer.concat(chunks).toString('utf8'));
      respond(req, res);
    });
  });
  server.on('connection', (socket: Socket) => {
    opened++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook/SECRET-PATH-TOKEN?sig=SECRET-QUERY`,
    bodies,
    opened: () => opened,
    open: () => sockets.size,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function failure(promise: Promise<unknown>): Promise<DeliveryError> {
  try {
    await promise;
  } catch (error) {
    return error as DeliveryError;
  }
  assert.fail('expected the request to fail');
}

describe('postJson (against a local HTTP server)', () => {
  let local: Local | undefined;
  let agent: Agent;
  const options = () => ({ name: 'test[sink]', dispatcher: agent, timeoutMs: 2000 });

  beforeEach(() => {
    agent = new Agent({ keepAliveTimeout: 30_000 });
  });
  afterEach(async () => {
    await agent.close();
    await local?.close();
    local = undefined;
  });

  it('sends JSON and resolves with the parsed answer; a large body is drained so connections are reused', async () => {
    local = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ id: '42', padding: 'x'.repeat(maxBodyBytes * 2) }));
    });
    const first = await postJson(local.url, { hello: 'world' }, options());
    const second = await postJson(local.url, '{"already":"text"}', options());
    await postJson(local.url, {}, options());
    await postJson(local.url, {}, options());
    assert.equal(first.status, 200);
    assert.equal(first.json, undefined, 'a body cut at maxBodyBytes is not JSON');
    assert.equal(first.text.length, maxBodyBytes);
    assert.equal(second.status, 200);
    assert.deepEqual(local.bodies.slice(0, 2), ['{"hello":"world"}', '{"already":"text"}']);
    // An undrained body would hold its connection: each request would need a new one.
    assert.ok(local.opened() < 4, `connections are reused (${local.opened()} for 4 requests)`);
  });

  it('classifies 429 with Retry-After, 429 with the service’s own wait, 500, 404 and 401', async () => {
    const answers: Array<[number, Record<string, string>, string]> = [
      [429, { 'retry-after': '3' }, '{}'],
      [429, {}, '{"retry_after": 1.5}'],
      [500, {}, 'oops'],
      [404, {}, '{"message":"Unknown Webhook SECRET-PATH-TOKEN"}'],
      [401, {}, ''],
    ];
    local = await serve((_req, res) => {
      const [status, headers, body] = answers.shift() ?? [200, {}, ''];
      res.writeHead(status, headers);
      res.end(body);
    });
    const opts = {
      ...options(),
      retryAfterMs: (a: { json: unknown }) => ((a.json as { retry_after?: number }).retry_after ?? 0) * 1000,
      explain: (a: { json: unknown }) => (a.json as { message?: string } | undefined)?.message,
      secrets: ['SECRET-PATH-TOKEN'],
    };
    const limited = await failure(postJson(local.url, {}, opts));
    assert.ok(limited instanceof RateLimitedError);
    assert.equal(limited.retryAfterMs, 3000);
    const ownWait = await failure(postJson(local.url, {}, opts));
    assert.ok(ownWait instanceof RateLimitedError);
    assert.equal(ownWait.retryAfterMs, 1500);
    const server = await failure(postJson(local.url, {}, opts));
    assert.ok(server instanceof RetryableDeliveryError && !(server instanceof RateLimitedError));
    assert.equal(server.reason, 'serverError');
    const notFound = await failure(postJson(local.url, {}, opts));
    assert.ok(notFound instanceof PermanentDeliveryError);
    assert.equal(notFound.message, 'test[sink]: HTTP 404 (Unknown Webhook <secret>)');
    const auth = await failure(postJson(local.url, {}, opts));
    assert.ok(auth instanceof PermanentDeliveryError);
    assert.equal(auth.reason, 'authError');
    assert.ok(local.opened() < 5, 'error answers are drained too: connections are reused');
  });

  it('hands back the statuses the caller accepts', async () => {
    local = await serve((_req, res) => {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end('{"code":10008}');
    });
    const answer = await postJson(
      local.url,
      {},
      { ...options(), method: 'PATCH', accept: (a) => a.status === 404 },
    );
    assert.deepEqual(answer.json, { code: 10008 });
  });

  it('times out as a retryable timeout, and fails as network when nothing listens; never naming the URL', async () => {
    local = await serve(() => undefined);
    const timedOut = await failure(postJson(local.url, {}, { ...options(), timeoutMs: 150 }));
    assert.ok(timedOut instanceof RetryableDeliveryError);
    assert.equal(timedOut.reason, 'timeout');
    assert.equal(timedOut.message, 'test[sink]: no answer within 150 ms');
    const port = await freePort();
    const refused = await failure(postJson(`http://127.0.0.1:${port}/hook/SECRET-PATH-TOKEN`, {}, options()));
    assert.ok(refused instanceof RetryableDeliveryError);
    assert.equal(refused.reason, 'network');
    assert.equal(refused.message, 'test[sink]: request failed (ECONNREFUSED)');
  });
});

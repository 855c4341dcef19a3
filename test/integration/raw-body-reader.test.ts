import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { gzipSync } from 'node:zlib';
import express, { type ErrorRequestHandler } from 'express';
import request from 'supertest';
import { createRawBodyReader } from '../../src/receiver/create-raw-body-reader';

/** What the app's error handler saw. */
type Seen = { type: string | undefined; status: number | undefined };

/** An app that answers with what the reader left in req.body, or the error it passed on. */
function appWith(limit: number, errors: Seen[]) {
  const app = express();
  app.post(
    '/',
    createRawBodyReader(() => limit),
    (req, res) => {
      const body: unknown = req.body;
      res.json({
        isBuffer: Buffer.isBuffer(body),
        text: Buffer.isBuffer(body) ? body.toString('utf8') : null,
      });
    },
  );
  const onError: ErrorRequestHandler = (err: { type?: string; status?: number }, _req, res, _next) => {
    errors.push({ type: err.type, status: err.status });
    res.status(err.status ?? 500).json({ type: err.type });
  };
  app.use(onError);
  return app;
}

describe('createRawBodyReader', () => {
  it('reads the exact bytes of an uncompressed body, whether sent with a length or chunked', async () => {
    const errors: Seen[] = [];
    const app = appWith(1024, errors);
    const body = '{"a":"é ü 日本"}';
    const withLength = await request(app).post('/').set('content-type', 'application/json').send(body);
    assert.deepEqual(withLength.body, { isBuffer: true, text: body });

    const answer = await exchange(
      app,
      'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n' +
        '3\r\nabc\r\n4\r\ndefg\r\n0\r\n\r\n',
    );
    assert.match(answer, /^HTTP\/1\.1 200 /);
    assert.match(answer, /"text":"abcdefg"/);
    assert.deepEqual(errors, []);
  });

  it('reads Content-Length: 0 as an empty body, and leaves req.body unset without a body', async () => {
    const app = appWith(1024, []);
    const empty = await request(app).post('/').set('content-length', '0');
    assert.deepEqual(empty.body, { isBuffer: true, text: '' });
    const answer = await exchange(app, 'POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    assert.match(answer, /"isBuffer":false,"text":null/);
  });

  it('refuses a body past the limit with entity.too.large, declared or found while reading', async () => {
    const errors: Seen[] = [];
    const app = appWith(10, errors);
    const declared = await request(app).post('/').send('x'.repeat(11));
    assert.equal(declared.status, 413);

    const answer = await exchange(
      app,
      'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n' +
        '8\r\n12345678\r\n8\r\n12345678\r\n0\r\n\r\n',
    );
    assert.match(answer, /^HTTP\/1\.1 413 /);
    assert.deepEqual(errors, [
      { type: 'entity.too.large', status: 413 },
      { type: 'entity.too.large', status: 413 },
    ]);
  });

  it('passes request.aborted on when the client goes before its declared length', async () => {
    const errors: Seen[] = [];
    const server: Server = appWith(1024, errors).listen(0, '127.0.0.1');
    try {
      await new Promise((resolve) => server.once('listening', resolve));
      const { port } = server.address() as AddressInfo;
      const socket = connect(port, '127.0.0.1');
      await new Promise((resolve) => socket.once('connect', resolve));
      socket.write('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n' + 'x'.repeat(40));
      await waitFor(() => server.listenerCount('request') > 0);
      socket.destroy();
      await waitFor(() => errors.length > 0);
      assert.deepEqual(errors, [{ type: 'request.aborted', status: 400 }]);
    } finally {
      server.close();
    }
  });

  it('hands a gzip body to body-parser, which inflates it', async () => {
    const errors: Seen[] = [];
    const res = await request(appWith(1024, errors))
      .post('/')
      .set('content-encoding', 'gzip')
      .set('content-type', 'application/octet-stream')
      .send(gzipSync(Buffer.from('{"zipped":true}')));
    assert.deepEqual(res.body, { isBuffer: true, text: '{"zipped":true}' });
    assert.deepEqual(errors, []);
  });
});

/** Serves `app` on a free port for one {@link rawExchange}, then closes it. */
async function exchange(app: express.Express, text: string): Promise<string> {
  const server: Server = app.listen(0, '127.0.0.1');
  try {
    await new Promise((resolve) => server.once('listening', resolve));
    return await rawExchange((server.address() as AddressInfo).port, text);
  } finally {
    server.close();
  }
}

/** Writes `text` on a new connection and resolves to everything the server sent until it closed. */
function rawExchange(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(text));
    let answer = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (answer += chunk));
    socket.on('close', () => resolve(answer));
    socket.on('error', reject);
  });
}

/** Polls `condition` every 5 ms, for at most 5 s. */
async function waitFor(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met within 5 s');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

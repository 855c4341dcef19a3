import express, { type RequestHandler } from 'express';

/** A body-reading failure, shaped as body-parser's (`status`, `type`) so the app's error handler takes both. */
function bodyError(status: number, type: string, message: string): Error {
  return Object.assign(new Error(message), { status, statusCode: status, type, expose: true });
}

/**
 * Reads a webhook's raw body into `req.body` (a Buffer): the bytes are what was signed, so no parser runs
 * before verification. The common case (no `Content-Encoding`) is read here; a compressed body goes
 * to body-parser's raw reader, which inflates it. Why by hand: body-parser's reader (on-finished hooks,
 * the decompression switch, raw-body's option parsing and its own listeners) cost the receiver about
 * 10% of its CPU per request in the throughput bench, for what is, uncompressed, collecting chunks.
 *
 * Errors are body-parser's: `entity.too.large` (413) past `limit()` bytes, and `request.aborted` /
 * `request.size.invalid` (400) for a body that ends early or differs from its `Content-Length`; a
 * socket error while reading is a 400 `request.error`.
 */
export function createRawBodyReader(limit: () => number): RequestHandler {
  let parserLimit = 0;
  let inflating: RequestHandler = (_req, _res, next) => next();
  return (req, res, next) => {
    const max = limit();
    const encoding = req.headers['content-encoding'];
    if (encoding !== undefined && encoding.toLowerCase() !== 'identity') {
      if (parserLimit !== max) {
        parserLimit = max;
        inflating = express.raw({ type: () => true, limit: max });
      }
      inflating(req, res, next);
      return;
    }
    const declared = req.headers['content-length'];
    const expected = declared === undefined ? undefined : Number(declared);
    // No body at all (no length, not chunked): as body-parser, leave req.body unset.
    if (expected === undefined && req.headers['transfer-encoding'] === undefined) {
      next();
      return;
    }
    if (expected !== undefined && expected > max) {
      next(bodyError(413, 'entity.too.large', 'request entity too large'));
      return;
    }
    const chunks: Buffer[] = [];
    let received = 0;
    let settled = false;
    const finish = (err?: Error) => {
      if (settled) return;
      settled = true;
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('aborted', onAborted);
      req.off('error', onError);
      if (err) {
        // Stop reading what will not be used; the answer closes the connection (see the error handler).
        req.unpipe();
        req.pause();
        next(err);
        return;
      }
      req.body = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, received);
      next();
    };
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (received > max) finish(bodyError(413, 'entity.too.large', 'request entity too large'));
      else chunks.push(chunk);
    };
    const onEnd = () => {
      if (expected !== undefined && received !== expected)
        finish(bodyError(400, 'request.size.invalid', 'request size did not match content length'));
      else finish();
    };
    const onAborted = () => finish(bodyError(400, 'request.aborted', 'request aborted'));
    // A socket error while reading is the client's doing too: a 400, as body-parser makes it, not a 500.
    const onError = (err: Error) => finish(bodyError(400, 'request.error', err.message));
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('aborted', onAborted);
    req.on('error', onError);
  };
}

import type { ServerResponse } from 'node:http';

/** Writes Server-Sent Events to one response. */
export interface SseWriter {
  /** One message: `event:` name, `id:` and JSON `data:`. */
  send(event: string, id: string, data: unknown): void;
  close(): void;
}

/**
 * Starts an event stream on `res` with a comment line every `keepAliveMs`, so proxies and load
 * balancers do not close it while it is quiet. Written here rather than taken from better-sse, whose
 * package declares ESM-only types that a CommonJS TypeScript build cannot import; the format is small
 * (https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation).
 */
export function startSse(res: ServerResponse, keepAliveMs = 15_000): SseWriter {
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    // nginx buffers responses unless told not to.
    'x-accel-buffering': 'no',
  });
  res.flushHeaders();
  res.write(': ci-relay stream\nretry: 2000\n\n');
  const timer = setInterval(() => res.write(':\n\n'), keepAliveMs);
  timer.unref();
  res.once('close', () => clearInterval(timer));
  return {
    send(event, id, data) {
      // JSON.stringify escapes newlines, so the data is always one `data:` line.
      res.write(`id: ${id}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    },
    close() {
      clearInterval(timer);
      res.end();
    },
  };
}

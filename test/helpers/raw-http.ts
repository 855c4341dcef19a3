import { connect, type Socket } from 'node:net';

/** What came back on a raw connection: every byte until the server closed it (or `waitMs` passed). */
export interface RawExchange {
  text: string;
  /** True when the server closed the connection. */
  closed: boolean;
  /** Milliseconds from the first byte written to the server's close (or the end of the wait). */
  elapsedMs: number;
}

/**
 * Writes `head` (and `body`, when given) on a plain TCP connection to `url` and collects the answer until
 * the server closes the connection or `waitMs` passes: for requests no HTTP client would send.
 */
export function rawRequest(
  url: string,
  head: string,
  options: { body?: Buffer | string; waitMs?: number } = {},
): Promise<RawExchange> {
  const { port, hostname } = new URL(url);
  const { waitMs = 5000 } = options;
  return new Promise((resolve, reject) => {
    const socket: Socket = connect(Number(port), hostname);
    const chunks: Buffer[] = [];
    const started = Date.now();
    let closed = false;
    const finish = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ text: Buffer.concat(chunks).toString('latin1'), closed, elapsedMs: Date.now() - started });
    };
    const timer = setTimeout(finish, waitMs);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('end', () => {
      closed = true;
      finish();
    });
    socket.on('close', () => {
      closed = true;
      finish();
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNRESET' || err.code === 'EPIPE') {
        closed = true;
        finish();
      } else reject(err);
    });
    socket.write(head);
    if (options.body !== undefined) socket.write(options.body);
  });
}

/** The JSON body of a raw HTTP/1.1 answer with a Content-Length. */
export function rawJson(text: string): unknown {
  return JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4)) as unknown;
}

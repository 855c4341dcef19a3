import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

/** Timeouts of the HTTP server, chosen for webhooks: providers give up after about 10 s (GitHub: 10 s). */
export interface HttpTimeouts {
  /** Time to receive the headers. @defaultValue 10000 */
  headersTimeoutMs?: number;
  /** Time to receive a whole request, body included: a body that trickles in is cut off. @defaultValue 15000 */
  requestTimeoutMs?: number;
  /** Idle keep-alive connections are closed after this; longer than load balancers' 60 s, so they close first. @defaultValue 65000 */
  keepAliveTimeoutMs?: number;
}

/** What Node's HTTP parser refuses before any handler runs, as a status and an error code. */
function parserAnswer(err: NodeJS.ErrnoException): { status: number; reason: string; code: string } {
  switch (err.code) {
    case 'HPE_HEADER_OVERFLOW':
      return { status: 431, reason: 'Request Header Fields Too Large', code: 'headers_too_large' };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { status: 408, reason: 'Request Timeout', code: 'request_timeout' };
    default:
      return { status: 400, reason: 'Bad Request', code: 'bad_request' };
  }
}

const parserMessages: Record<string, string> = {
  headers_too_large: 'the request headers are too large',
  request_timeout: 'the request was not received in time',
  bad_request: 'the request could not be parsed as HTTP/1.1',
};

/**
 * Answers a request Node's parser refused (or timed out) with the relay's JSON error body instead of
 * Node's bare status line, then closes the connection. Nothing is written once a response has begun.
 */
function answerClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  const started = (socket as Duplex & { _httpMessage?: ServerResponse | null })._httpMessage;
  if (err.code === 'ECONNRESET' || !socket.writable || started?.headersSent === true) {
    socket.destroy();
    return;
  }
  const { status, reason, code } = parserAnswer(err);
  const body = JSON.stringify({ error: { code, message: parserMessages[code] } });
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json; charset=utf-8\r\n` +
      `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}

/** An HTTP server that can be drained within a bounded time. */
export interface RelayHttpServer {
  server: Server;
  /**
   * Stops accepting, answers the requests in flight with `Connection: close` (and every later one on a
   * kept-alive connection), closes idle connections at once and, after `graceMs`, every connection left.
   */
  drain(graceMs: number): Promise<void>;
}

/**
 * The relay's HTTP server around `app`: webhook-sized timeouts (Node's default lets a trickling body
 * hold a connection for 300 s), JSON bodies on parser errors, no `100 Continue` for webhooks until
 * their headers pass (see createWebhookGate), and a bounded drain for shutdown.
 */
export function createHttpServer(
  app: (req: IncomingMessage, res: ServerResponse) => void,
  timeouts: HttpTimeouts = {},
): RelayHttpServer {
  const { headersTimeoutMs = 10_000, requestTimeoutMs = 15_000, keepAliveTimeoutMs = 65_000 } = timeouts;
  const server = createServer(
    {
      headersTimeout: headersTimeoutMs,
      requestTimeout: requestTimeoutMs,
      keepAliveTimeout: keepAliveTimeoutMs,
      // How often the timeouts above are checked (default 30 s, which would make them 30 s late).
      connectionsCheckingInterval: Math.min(1000, headersTimeoutMs, requestTimeoutMs),
    },
    app,
  );
  server.on('clientError', answerClientError);

  // Responses not yet finished, so a drain can mark them `Connection: close` before they are sent.
  const open = new Set<ServerResponse>();
  let draining = false;
  server.prependListener('request', (_req: IncomingMessage, res: ServerResponse) => {
    if (draining) res.setHeader('connection', 'close');
    open.add(res);
    res.once('close', () => open.delete(res));
  });
  // Without a listener Node answers `100 Continue` at once. Webhook routes send it themselves once the
  // source and the declared length pass (see createWebhookGate); every other route gets it right away.
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    if (!req.url?.startsWith('/hooks/')) res.writeContinue();
    server.emit('request', req, res);
  });

  const drain = async (graceMs: number) => {
    draining = true;
    for (const res of open) if (!res.headersSent) res.setHeader('connection', 'close');
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    const timer = setTimeout(() => server.closeAllConnections(), graceMs);
    await closed;
    clearTimeout(timer);
  };
  return { server, drain };
}

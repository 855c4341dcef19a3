import { createHmac, timingSafeEqual } from 'node:crypto';
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request as the test server saw it. */
export interface ReceivedRequest {
  method: string | undefined;
  url: string | undefined;
  headers: IncomingHttpHeaders;
  body: string;
  /** Whether `webhook-signature` verified under the server's key; undefined when the server has no key. */
  signatureValid: boolean | undefined;
}

export type Respond = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * A receiver that checks Standard Webhooks signatures on its own (HMAC-SHA256 over
 * `id.timestamp.body` with the base64 key after `whsec_`), not with the relay's code.
 */
function receiverVerifies(secret: string, headers: IncomingHttpHeaders, body: string): boolean {
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  const expected = createHmac('sha256', key)
    .update(`${String(headers['webhook-id'])}.${String(headers['webhook-timestamp'])}.${body}`)
    .digest();
  const offered = String(headers['webhook-signature'] ?? '')
    .split(' ')
    .filter((entry) => entry.startsWith('v1,'))
    .map((entry) => Buffer.from(entry.slice('v1,'.length), 'base64'));
  return offered.some((sig) => sig.length === expected.length && timingSafeEqual(sig, expected));
}

export interface CaptureServer {
  url: string;
  requests: ReceivedRequest[];
  close(): Promise<void>;
}

/** Starts a recording HTTP server on 127.0.0.1 (`port` 0: a free one) that answers with `respond`. */
export async function startCaptureServer(
  respond: Respond,
  secret?: string,
  port = 0,
): Promise<CaptureServer> {
  const requests: ReceivedRequest[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      requests.push({
        method: req.method,
        url: req.url,
        headers: req.headers,
        body,
        signatureValid: secret === undefined ? undefined : receiverVerifies(secret, req.headers, body),
      });
      respond(req, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/ci`,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

export function answer(status: number, headers: Record<string, string> = {}): Respond {
  return (_req, res) => {
    res.writeHead(status, headers);
    res.end(status >= 400 ? 'nope' : '');
  };
}

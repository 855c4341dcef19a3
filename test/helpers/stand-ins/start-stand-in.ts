import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** One request as a stand-in saw it. */
export interface StandInRequest {
  method: string;
  /** The path without the query. */
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: string;
  /** The body parsed as JSON; undefined when it is not JSON. */
  json: unknown;
  /** The status it was answered with (0 while unanswered). */
  status: number;
}

/** An answer: a status with headers and a body (objects are sent as JSON), or none at all. */
export type StandInAnswer =
  { status: number; headers?: Record<string, string>; body?: string | object } | { hang: true };

/** A local `node:http` server standing in for a service's API. */
export interface StandIn {
  /** `http://127.0.0.1:<port>` */
  origin: string;
  requests: StandInRequest[];
  /** Answers the next requests with `answers`, in turn, instead of the service's normal behaviour. */
  answerNext(...answers: StandInAnswer[]): void;
  /** Connections open right now. */
  openConnections(): number;
  close(): Promise<void>;
}

/** Starts a stand-in on a free port of 127.0.0.1 that answers what `handle` says (unless scripted). */
export async function startStandIn(handle: (request: StandInRequest) => StandInAnswer): Promise<StandIn> {
  const requests: StandInRequest[] = [];
  const scripted: StandInAnswer[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let json: unknown;
      try {
        json = JSON.parse(body) as unknown;
      } catch {
        json = undefined;
      }
      const url = new URL(req.url ?? '/', 'http://stand-in');
      const request: StandInRequest = {
        method: req.method ?? '',
        path: url.pathname,
        query: url.searchParams,
        headers: req.headers,
        body,
        json,
        status: 0,
      };
      requests.push(request);
      const answer = scripted.shift() ?? handle(request);
      if ('hang' in answer) return;
      request.status = answer.status;
      const text =
        answer.body === undefined
          ? ''
          : typeof answer.body === 'string'
            ? answer.body
            : JSON.stringify(answer.body);
      res.writeHead(answer.status, {
        ...(typeof answer.body === 'object' && { 'content-type': 'application/json' }),
        ...answer.headers,
      });
      res.end(text);
    });
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    answerNext: (...answers) => scripted.push(...answers),
    openConnections: () => sockets.size,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

/** Reads a JSON path of a request body loosely, for assertions. */
export function field(json: unknown, ...path: Array<string | number>): unknown {
  let at: unknown = json;
  for (const key of path) {
    if (at === null || typeof at !== 'object') return undefined;
    at = (at as Record<string | number, unknown>)[key];
  }
  return at;
}

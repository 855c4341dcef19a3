import type { ServerResponse } from 'node:http';

/**
 * Answers with `body` as JSON, written straight to Node's response. A webhook's answer needs none of
 * what Express's `res.json` adds around the write (its settings lookup, the content-type and charset
 * parsing, the freshness check for conditional GETs): about 4% of the receiver's CPU per request
 * under load, in the profile of a throughput round.
 */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Readonly<Record<string, string>> = {},
): void {
  const json = JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(json),
  });
  res.end(json);
}

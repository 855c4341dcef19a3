import type { IncomingHttpHeaders } from 'node:http';
import { request, type Dispatcher } from 'undici';
import { RetryableDeliveryError } from '../src/contracts/delivery-errors';
import { classifyHttpStatus } from './classify-http-status';
import { parseRetryAfter } from './parse-retry-after';

/** A service's answer: its status, headers and body (parsed JSON when it is JSON, else the text). */
export interface JsonAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  /** The parsed JSON body, or `undefined` when the body was empty or not JSON. */
  json: unknown;
  /** The body as text (at most {@link maxBodyBytes} of it). */
  text: string;
}

/** Options of {@link postJson}. */
export interface PostJsonOptions {
  /** The sink as it is logged, `discord[team]`: every error message starts with it. */
  name: string;
  /** The sink's connection pool; `close()` of the sink closes it. */
  dispatcher: Dispatcher;
  /** Per request, headers and body. */
  timeoutMs: number;
  /** @defaultValue `POST` */
  method?: 'POST' | 'PATCH';
  /** Extra request headers; a `content-type` here replaces `application/json`. */
  headers?: Record<string, string>;
  /** @defaultValue `Date.now` (for Retry-After dates) */
  now?: () => number;
  /** Statuses the caller handles itself (resolved with, not thrown): e.g. Discord's 404 for a deleted message. */
  accept?: (answer: JsonAnswer) => boolean;
  /** The service's own wait from a 429 answer (Discord's `retry_after`), used when Retry-After says nothing. */
  retryAfterMs?: (answer: JsonAnswer) => number | undefined;
  /** The service's own short explanation of an error answer (Discord's `message`, PagerDuty's `errors`). */
  explain?: (answer: JsonAnswer) => string | undefined;
  /** Values that must never appear in an error message (tokens, keys), even if a service echoes them. */
  secrets?: readonly string[];
}

/** How much of a body is kept; the rest is read and dropped, so the connection goes back to the pool. */
export const maxBodyBytes = 64 * 1024;

const header = (headers: IncomingHttpHeaders, name: string): string | undefined => {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
};

function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) if (secret.length >= 4) out = out.split(secret).join('<secret>');
  return out;
}

/** Reads the whole body (draining the connection) and keeps its first {@link maxBodyBytes}. */
async function readBody(body: Dispatcher.ResponseData['body']): Promise<string> {
  const chunks: Buffer[] = [];
  let kept = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    if (kept < maxBodyBytes) {
      chunks.push(chunk);
      kept += chunk.length;
    }
  }
  return Buffer.concat(chunks).subarray(0, maxBodyBytes).toString('utf8');
}

/**
 * Sends `body` (an object, or JSON text already serialized, e.g. to sign its bytes) as JSON with a
 * timeout, reads and drains the answer, and resolves with it on 2xx. Any other answer becomes the
 * DeliveryError {@link classifyHttpStatus} gives it: 429 is rate limited (for Retry-After, else
 * `retryAfterMs`), 408 and 5xx are retried, other statuses are permanent; no answer in time is a retried
 * `timeout`, a failed connection a retried `network` error. Error messages name the sink, the status
 * and the service's own explanation; never the URL (webhook URLs hold their token in the path or query).
 */
export async function postJson(
  url: string | URL,
  body: object | string,
  options: PostJsonOptions,
): Promise<JsonAnswer> {
  const { name, dispatcher, timeoutMs, method = 'POST', now = Date.now, secrets = [] } = options;
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': 'ci-relay',
    ...Object.fromEntries(Object.entries(options.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v])),
  };
  const signal = AbortSignal.timeout(timeoutMs);
  let answer: JsonAnswer;
  try {
    const response = await request(url, {
      method,
      headers,
      body: typeof body === 'string' ? body : JSON.stringify(body),
      dispatcher,
      signal,
    });
    const text = await readBody(response.body);
    let json: unknown;
    try {
      json = text === '' ? undefined : (JSON.parse(text) as unknown);
    } catch {
      json = undefined;
    }
    answer = { status: response.statusCode, headers: response.headers, json, text };
  } catch (cause) {
    const timedOut = signal.aborted || (cause instanceof Error && cause.name === 'TimeoutError');
    // The socket's code (ECONNREFUSED, ENOTFOUND, ...) says what went wrong; undici's message may hold the URL.
    const code = (cause as { code?: unknown; cause?: { code?: unknown } } | undefined)?.code;
    const inner = (cause as { cause?: { code?: unknown } } | undefined)?.cause?.code;
    const detail = typeof code === 'string' ? code : typeof inner === 'string' ? inner : 'no connection';
    throw new RetryableDeliveryError(
      `${name}: ${timedOut ? `no answer within ${timeoutMs} ms` : `request failed (${detail})`}`,
      timedOut ? 'timeout' : 'network',
      { cause },
    );
  }
  if (answer.status >= 200 && answer.status < 300) return answer;
  if (options.accept?.(answer)) return answer;
  const retryAfter =
    parseRetryAfter(header(answer.headers, 'retry-after'), now()) ??
    (answer.status === 429 ? options.retryAfterMs?.(answer) : undefined);
  const explained = options.explain?.(answer);
  const detail = explained === undefined ? undefined : redact(explained.slice(0, 300), secrets);
  const failure = classifyHttpStatus(answer.status, name, retryAfter, detail);
  // classifyHttpStatus gives an error for every status outside 2xx.
  if (failure) throw failure;
  return answer;
}

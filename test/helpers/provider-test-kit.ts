import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { CiEventBody } from '../../src/event/ci-event-schema';
import { validateEvent } from '../../src/event/validate-event';
import { PayloadError } from '../../src/providers/payload-error';
import type { NormalizeResult, WebhookRequest } from '../../src/providers/provider';

// Scaffolding shared by the provider unit tests (test/unit/providers/*.test.ts).

/** A JSON object: a parsed fixture or payload. */
export type Json = Record<string, unknown>;

/** The text of `test/fixtures/<dir>/<name>`. */
export function fixtureText(dir: string, name: string): string {
  return fs.readFileSync(path.join(__dirname, '../fixtures', dir, name), 'utf8');
}

/** The parsed JSON of `test/fixtures/<dir>/<name>`. */
export function fixtureJson(dir: string, name: string): Json {
  return JSON.parse(fixtureText(dir, name)) as Json;
}

/** A webhook request with these headers and body, sent as `contentType` (JSON unless said otherwise). */
export function request(
  headers: Record<string, string>,
  body: Buffer | string = '{}',
  contentType = 'application/json',
): WebhookRequest {
  return { headers, rawBody: Buffer.from(body), contentType };
}

/** The fields the relay adds to a provider's event body before it validates it. */
export interface RelayFields {
  source: string;
  provider: string;
  deliveryId: string;
  receivedAt: string;
}

/** Asserts that `result` is exactly one event that, with `relay`'s fields added, passes the CiEvent schema; returns it. */
export function onlyValidEvent(result: NormalizeResult, relay: RelayFields): CiEventBody {
  assert.equal(result.type, 'events', JSON.stringify(result));
  assert.equal(result.events.length, 1);
  const body = result.events[0];
  assert.ok(body);
  assert.deepEqual(
    validateEvent({ id: '01HXYZ0000000000000000000', schemaVersion: 1, ...relay, ...body }),
    [],
  );
  return body;
}

/** Sets a dotted path in a deep copy of `payload`; `undefined` deletes it. */
export function withField(payload: Json, dotted: string, value: unknown): Json {
  const copy = structuredClone(payload);
  const keys = dotted.split('.');
  const last = keys.pop() as string;
  let target: Json = copy;
  for (const key of keys) target = target[key] as Json;
  if (value === undefined) delete target[last];
  else target[last] = value;
  return copy;
}

/** Asserts that `fn` throws a PayloadError, naming `field` when given (`message` labels a failure; the field by default). */
export function assertPayloadError(fn: () => unknown, field?: string, message = field): void {
  assert.throws(
    fn,
    (error: unknown) => error instanceof PayloadError && (field === undefined || error.field === field),
    message,
  );
}

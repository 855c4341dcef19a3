import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import type { CiEvent } from '../../src/event/ci-event-schema';
import { genericWebhookBody } from './sample-event';

/**
 * POSTs `event` to the relay at `url` the way a generic source (id `source`, `insecure: true`) posts
 * it, under a fresh `webhook-id`; asserts the `202` and resolves to the id the relay gave the event.
 */
export async function postGenericEvent(url: string, event: CiEvent, source = 'ci'): Promise<string> {
  const res = await request(url)
    .post(`/hooks/${source}`)
    .set('content-type', 'application/json')
    .set('webhook-id', randomUUID())
    .send(genericWebhookBody(event));
  assert.equal(res.status, 202, JSON.stringify(res.body));
  return (res.body as { events: string[] }).events[0] ?? '';
}

/** The start of a test relay's YAML: version 1 and the unsigned generic source `ci` that {@link postGenericEvent} posts to. */
export const genericSourceYaml = `version: 1
sources:
  - id: ci
    provider: generic
    insecure: true
`;

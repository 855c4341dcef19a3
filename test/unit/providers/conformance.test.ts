import assert from 'node:assert/strict';
import { validateEvent } from '../../../src/event/validate-event';
import { providers } from '../../../src/providers';
import type { WebhookRequest } from '../../../src/providers/provider';
import { parsePayload } from '../../../src/receiver/parse-payload';
import { providerConformance } from '../../conformance';
import type { UnsignedWebhook } from '../../conformance/provider-conformance';

const nowMs = Date.UTC(2025, 2, 1, 12, 0, 0);

function requestOf(webhook: UnsignedWebhook, credentials: Record<string, string>): WebhookRequest {
  return {
    headers: { 'content-type': webhook.contentType, ...webhook.headers, ...credentials },
    rawBody: Buffer.from(webhook.body),
    contentType: webhook.contentType,
  };
}

/** Flips one character in the middle of the body, keeping it the same length. */
function tamper(body: string): string {
  const i = Math.floor(body.length / 2);
  return body.slice(0, i) + (body[i] === 'x' ? 'y' : 'x') + body.slice(i + 1);
}

describe('provider conformance (every provider)', () => {
  for (const c of providerConformance) {
    describe(c.provider, () => {
      const provider = providers[c.provider];

      it('is registered and takes the credentials its source uses', () => {
        assert.ok(provider, `${c.provider} is not in the registry`);
        for (const key of ['secrets', 'token', 'basicAuth', 'publicKey', 'requiredHeaders'] as const) {
          if (c.source[key] !== undefined)
            assert.ok(provider.auth.includes(key), `${c.provider} does not take ${key}`);
        }
      });

      for (const { name, webhook } of c.fixtures) {
        describe(name, () => {
          it('accepts a valid signature', () => {
            assert.equal(
              provider?.verify(requestOf(webhook, c.sign(webhook, nowMs)), c.source, nowMs),
              undefined,
            );
          });

          it('rejects a tampered body', function () {
            // A shared token or password says who sent it, not what was sent.
            if (!c.signsBody) this.skip();
            const tampered = { ...webhook, body: tamper(webhook.body) };
            const credentials = c.sign(webhook, nowMs);
            assert.equal(
              provider?.verify(requestOf(tampered, credentials), c.source, nowMs)?.code,
              'bad_signature',
            );
          });

          it('rejects a request without credentials', () => {
            assert.equal(
              provider?.verify(requestOf(webhook, {}), c.source, nowMs)?.code,
              'missing_signature',
            );
          });

          it('normalizes into events that are valid CiEvents', () => {
            const request = requestOf(webhook, c.sign(webhook, nowMs));
            const result = provider?.normalize(request, parsePayload(request));
            assert.equal(result?.type, 'events', JSON.stringify(result));
            if (result?.type !== 'events') return;
            assert.ok(result.events.length > 0);
            for (const body of result.events) {
              const event = {
                id: '01JNE0000000000000000000000',
                schemaVersion: 1,
                source: c.source.id,
                provider: c.provider,
                deliveryId: provider?.deliveryId(request, parsePayload(request)) ?? 'sha256:digest',
                ...body,
                receivedAt: new Date(nowMs).toISOString(),
              };
              assert.deepEqual(validateEvent(event), []);
            }
          });
        });
      }
    });
  }
});

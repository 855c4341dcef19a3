import assert from 'node:assert/strict';
import { validateEvent } from '../../../src/event/validate-event';
import { providers } from '../../../src/providers';
import { PayloadError } from '../../../src/providers/payload-error';
import type { WebhookRequest } from '../../../src/providers/provider';
import { parsePayload } from '../../../src/receiver/parse-payload';
import { providerConformance } from '../../conformance';

/** Numbers no CI sends but a hostile or broken sender might: out of Date range, unsafe integers, fractions, negatives. */
const hostileNumbers = [1e20, -1e20, 8.64e15 + 1, 2 ** 53 + 2, 1.5, -1, 1e308];
/** Date-like strings that parse but lie outside what Date can hold, or are impossible. */
const hostileDates = [
  '+275760-09-13T00:00:00.001Z',
  '9999999999999999999',
  '2025-02-30T25:61:00Z',
  '-271821-04-19T00:00:00Z',
];

type Leaf = { path: Array<string | number>; value: unknown };

function leaves(value: unknown, path: Array<string | number> = []): Leaf[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => leaves(v, [...path, i]));
  if (value !== null && typeof value === 'object')
    return Object.entries(value).flatMap(([k, v]) => leaves(v, [...path, k]));
  return [{ path, value }];
}

function withLeaf(root: unknown, path: Array<string | number>, value: unknown): unknown {
  const copy = structuredClone(root) as Record<string | number, unknown>;
  let target = copy;
  for (const key of path.slice(0, -1)) target = target[key] as Record<string | number, unknown>;
  target[path[path.length - 1] as string | number] = value;
  return copy;
}

const looksLikeDate = (v: unknown) => typeof v === 'string' && /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}/.test(v);

describe('provider conformance: hostile numbers and dates (every provider, every field)', () => {
  for (const c of providerConformance) {
    const provider = providers[c.provider];
    for (const { name, webhook } of c.fixtures) {
      it(`${c.provider} ${name}: every impossible value is dropped or refused as a PayloadError, never a crash`, () => {
        const base: WebhookRequest = {
          headers: { ...webhook.headers },
          rawBody: Buffer.from(webhook.body),
          contentType: webhook.contentType,
        };
        const payload = parsePayload(base);
        const failures: string[] = [];
        for (const leaf of leaves(payload)) {
          const values = [
            ...(typeof leaf.value === 'number' || looksLikeDate(leaf.value) ? hostileNumbers : []),
            ...(looksLikeDate(leaf.value) || typeof leaf.value === 'number' ? hostileDates : []),
          ];
          for (const value of values) {
            const mutated = withLeaf(payload, leaf.path, value);
            const at = `${leaf.path.join('.')}=${String(value)}`;
            try {
              const result = provider.normalize(base, mutated);
              if (result.type !== 'events') continue;
              for (const body of result.events) {
                const problems = validateEvent({
                  id: '01JNE0000000000000000000000',
                  schemaVersion: 1,
                  source: c.source.id,
                  provider: c.provider,
                  deliveryId: 'd',
                  ...body,
                  receivedAt: '2025-03-01T12:00:00.000Z',
                });
                // The generic provider passes the body through: schema errors there are a 400 naming the field.
                if (problems.length > 0 && c.provider !== 'generic')
                  failures.push(`${at}: invalid event: ${problems.join('; ')}`);
              }
            } catch (e) {
              if (!(e instanceof PayloadError)) failures.push(`${at}: ${String(e)}`);
            }
          }
        }
        assert.deepEqual(failures.slice(0, 20), [], `${failures.length} failures`);
      });
    }
  }
});

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

/** Every node below the root (objects and arrays too), so a whole object can be swapped for a wrong type. */
function nodes(value: unknown, path: Array<string | number> = []): Leaf[] {
  const here = path.length > 0 ? [{ path, value }] : [];
  if (Array.isArray(value)) return [...here, ...value.flatMap((v, i) => nodes(v, [...path, i]))];
  if (value !== null && typeof value === 'object')
    return [...here, ...Object.entries(value).flatMap(([k, v]) => nodes(v, [...path, k]))];
  return here;
}

/** Wrong types and empty values in place of any field or object. */
const confusing: unknown[] = [null, {}, [], '', 'refs/heads/'];

const looksLikeDate = (v: unknown) => typeof v === 'string' && /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}/.test(v);

describe('provider conformance: hostile numbers and dates (every provider, every field)', () => {
  for (const c of providerConformance) {
    const provider = providers[c.provider];
    for (const { name, webhook } of c.fixtures) {
      const base: WebhookRequest = {
        headers: { ...webhook.headers },
        rawBody: Buffer.from(webhook.body),
        contentType: webhook.contentType,
      };
      /** Normalizes `payload` with each value `valuesFor` gives at each of `targets`; returns what went wrong. */
      const check = (payload: unknown, targets: Leaf[], valuesFor: (leaf: Leaf) => unknown[]): string[] => {
        const failures: string[] = [];
        for (const leaf of targets) {
          for (const value of valuesFor(leaf)) {
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
        return failures;
      };

      it(`${c.provider} ${name}: every impossible number or date is dropped or refused as a PayloadError, never a crash`, () => {
        const payload = parsePayload(base);
        const failures = check(payload, leaves(payload), (leaf) =>
          typeof leaf.value === 'number' || looksLikeDate(leaf.value)
            ? [...hostileNumbers, ...hostileDates]
            : [],
        );
        assert.deepEqual(failures.slice(0, 20), [], `${failures.length} failures`);
      });

      it(`${c.provider} ${name}: a wrong type or an empty value anywhere is dropped or refused, never a crash`, () => {
        const payload = parsePayload(base);
        const failures = check(payload, nodes(payload), () => confusing);
        assert.deepEqual(failures.slice(0, 20), [], `${failures.length} failures`);
      });
    }
  }
});

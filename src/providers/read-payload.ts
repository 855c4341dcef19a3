import { PayloadError } from './payload-error';

type Obj = Readonly<Record<string, unknown>>;

/**
 * Paths split once: they are the normalizers' own constants (a few hundred), and splitting one on every
 * read was a tenth of the normalizers' time in the receiver's profile. Cleared should it ever grow.
 */
const splitPaths = new Map<string, readonly string[]>();

function keysOf(path: string): readonly string[] {
  let keys = splitPaths.get(path);
  if (keys === undefined) {
    if (splitPaths.size >= 2000) splitPaths.clear();
    keys = path.split('.');
    splitPaths.set(path, keys);
  }
  return keys;
}

function at(payload: unknown, path: string): unknown {
  let value: unknown = payload;
  for (const key of keysOf(path)) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Obj)[key];
  }
  return value;
}

/** A field that must be present and non-empty: a string, or a number turned into one. */
export function requireString(payload: unknown, path: string): string {
  const value = at(payload, path);
  if (typeof value === 'string' && value !== '') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  throw new PayloadError(
    `payload field "${path}" is ${value === undefined || value === null ? 'missing' : 'not a string'}`,
    path,
  );
}

/** An optional string field (numbers turned into strings); empty and null count as absent. */
export function optionalString(payload: unknown, path: string): string | undefined {
  const value = at(payload, path);
  if (typeof value === 'string' && value !== '') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

/**
 * An optional non-negative integer field (numeric strings accepted). Integers beyond 2^53 are dropped:
 * they are not exact in JSON numbers, and no count, id or duration a CI sends comes near them.
 */
export function optionalInteger(payload: unknown, path: string): number | undefined {
  const value = at(payload, path);
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

/** Years 0000-9999: what RFC 3339 (the event schema's `date-time`) can write, well inside Date's ±8.64e15 ms. */
const minIsoMs = -62_167_219_200_000; // 0000-01-01T00:00:00Z (Date.UTC maps years 0-99 to 1900-1999)
const maxIsoMs = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/**
 * Epoch milliseconds as ISO 8601, or undefined when they are not a time RFC 3339 can write: the one
 * place a number becomes a date, so a hostile value (epoch nanoseconds, 1e20) is dropped, never a RangeError.
 */
export function isoFromMs(ms: number): string | undefined {
  return Number.isFinite(ms) && ms >= minIsoMs && ms <= maxIsoMs ? new Date(ms).toISOString() : undefined;
}

/** A field that must be an object. */
export function requireObject(payload: unknown, path: string): Obj {
  const value = at(payload, path);
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) return value as Obj;
  throw new PayloadError(
    `payload field "${path}" is ${value === undefined || value === null ? 'missing' : 'not an object'}`,
    path,
  );
}

/** An optional array field. */
export function optionalArray(payload: unknown, path: string): readonly unknown[] {
  const value = at(payload, path);
  return Array.isArray(value) ? value : [];
}

/** An ISO 8601 timestamp from any date the platform writes (ISO, `2016-08-12 15:23:28 UTC`, epoch ms), or undefined. */
export function optionalTimestamp(payload: unknown, path: string): string | undefined {
  const value = at(payload, path);
  if (typeof value === 'number') return value > 0 ? isoFromMs(value) : undefined;
  if (typeof value !== 'string' || value === '') return undefined;
  // GitLab writes "2016-08-12 15:23:28 UTC" and "2016-08-12 15:23:28 +0200".
  const normalized = value
    .replace(/^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}(?:\.\d+)?) ?UTC$/, '$1T$2Z')
    .replace(/^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}(?:\.\d+)?) ?([+-]\d{2}):?(\d{2})$/, '$1T$2$3:$4');
  return isoFromMs(Date.parse(normalized));
}

/** Milliseconds between two ISO timestamps, when both are there and in order. */
export function durationBetween(start: string | undefined, end: string | undefined): number | undefined {
  if (start === undefined || end === undefined) return undefined;
  const ms = Date.parse(end) - Date.parse(start);
  return Number.isSafeInteger(ms) && ms >= 0 ? ms : undefined;
}

/** `refs/heads/main` becomes `{ branch: 'main' }`, `refs/tags/v1` becomes `{ tag: 'v1' }`, a bare name is a branch. */
export function splitRef(ref: string | undefined): { branch?: string; tag?: string } {
  if (ref === undefined || ref === '') return {};
  // A bare `refs/heads/` names no branch: nothing, rather than an empty name the event schema refuses.
  if (ref.startsWith('refs/tags/'))
    return ref.length > 'refs/tags/'.length ? { tag: ref.slice('refs/tags/'.length) } : {};
  if (ref.startsWith('refs/heads/'))
    return ref.length > 'refs/heads/'.length ? { branch: ref.slice('refs/heads/'.length) } : {};
  if (ref.startsWith('refs/')) return {};
  return { branch: ref };
}

/** Drops keys whose value is undefined, so optional fields stay absent (exactOptionalPropertyTypes). */
export function compact<T extends object>(value: T): Compacted<T> {
  // A loop, not Object.entries/filter/fromEntries: three arrays per call showed in the receiver's profile.
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const v = (value as Record<string, unknown>)[key];
    if (v !== undefined) out[key] = v;
  }
  return out as Compacted<T>;
}

/** `T` with every key that may hold undefined made optional instead. */
export type Compacted<T> = { [K in keyof T as undefined extends T[K] ? never : K]: T[K] } & {
  [K in keyof T as undefined extends T[K] ? K : never]?: Exclude<T[K], undefined>;
};

/** The non-empty strings of an array field (runner labels, tags), or undefined when there are none. */
export function optionalStrings(payload: unknown, path: string): string[] | undefined {
  const values = optionalArray(payload, path).filter((v): v is string => typeof v === 'string' && v !== '');
  return values.length > 0 ? values.slice(0, 50).map((v) => v.slice(0, 200)) : undefined;
}

import type { ErrorObject } from 'ajv';
import { routeMatchSchema, type RouteMatchConfig } from '../config/config-schema';
import { createAjv } from '../event/create-ajv';
import { formatAjvErrors } from '../event/format-ajv-errors';
import { compileEventFilter, type CompiledEventFilter } from '../store/event-filter';
import { decodeCursor, type ListPosition } from '../store/list-cursor';
import { ApiError } from './api-error';

/** A request's query: Express gives a string, or a list for a repeated parameter. */
export type Query = Record<string, unknown>;

const checkMatch = createAjv().compile<RouteMatchConfig>(routeMatchSchema);

/** The route match keys a list can be filtered by (globs, as in routes). */
export const eventFilterKeys = [
  'source',
  'provider',
  'repository',
  'branch',
  'tag',
  'pipeline',
  'job',
  'kind',
  'status',
  'transition',
] as const;

/** Refuses parameters the endpoint does not know, so a typo is an error rather than an unfiltered list. */
export function allowOnly(query: Query, allowed: readonly string[]): void {
  for (const key of Object.keys(query))
    if (!allowed.includes(key))
      throw new ApiError(
        'invalid_parameter',
        `unknown query parameter "${key}"; this endpoint takes ${allowed.join(', ')}`,
      );
}

/** The values of a parameter as a list (repeat it for "any of"); undefined when absent. */
export function listParam(query: Query, key: string): string[] | undefined {
  const value = query[key];
  if (value === undefined) return undefined;
  const values = Array.isArray(value) ? value : [value];
  if (values.some((v) => typeof v !== 'string' || v === ''))
    throw new ApiError('invalid_parameter', `"${key}" must be a non-empty string`);
  return values as string[];
}

/** One value of a parameter; undefined when absent. */
export function oneParam(query: Query, key: string): string | undefined {
  const values = listParam(query, key);
  if (values && values.length > 1) throw new ApiError('invalid_parameter', `"${key}" may be given once`);
  return values?.[0];
}

/** `limit`: 1-500, default 50. */
export function parseLimit(query: Query): number {
  const text = oneParam(query, 'limit');
  if (text === undefined) return 50;
  const limit = Number(text);
  if (!/^\d+$/.test(text) || limit < 1 || limit > 500)
    throw new ApiError('invalid_parameter', `"limit" must be an integer from 1 to 500, not "${text}"`);
  return limit;
}

/** `cursor`: the `nextCursor` of the previous page. */
export function parseCursor(query: Query): ListPosition | undefined {
  const text = oneParam(query, 'cursor');
  if (text === undefined) return undefined;
  const cursor = decodeCursor(text);
  if (!cursor) throw new ApiError('invalid_parameter', '"cursor" is not a cursor this API returned');
  return cursor;
}

const units: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * A point in time: an ISO 8601 date-time with a zone (`2026-11-30T12:00:00Z`), or a duration back from
 * now (`30m`, `2h`, `7d`).
 */
export function parseTime(text: string, name: string, now: number): number {
  const relative = /^(\d{1,6})([smhd])$/.exec(text);
  if (relative) return now - Number(relative[1]) * (units[relative[2] as string] as number);
  const iso =
    /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2}))?$/.exec(text);
  let ms = NaN;
  if (iso) {
    const [year, month, day, hour = 0, minute = 0, second = 0] = iso
      .slice(1)
      .map((v) => (v === undefined ? undefined : Number(v)));
    // Date.parse rolls 2026-02-30 over to March; a date that does not exist is refused instead.
    const valid =
      month !== undefined &&
      month >= 1 &&
      month <= 12 &&
      day !== undefined &&
      day >= 1 &&
      day <= new Date(Date.UTC(year ?? 0, month, 0)).getUTCDate() &&
      hour < 24 &&
      minute < 60 &&
      second < 60;
    if (valid) ms = Date.parse(text);
  }
  if (Number.isNaN(ms))
    throw new ApiError(
      'invalid_parameter',
      `"${name}" must be an ISO 8601 date-time such as 2026-11-30T12:00:00Z, or a duration back from now such as 2h or 7d; not "${text}"`,
    );
  return ms;
}

/** `since` and `until`, when given. */
export function parseRange(query: Query, now: number): { since?: number; until?: number } {
  const since = oneParam(query, 'since');
  const until = oneParam(query, 'until');
  const range = {
    ...(since !== undefined && { since: parseTime(since, 'since', now) }),
    ...(until !== undefined && { until: parseTime(until, 'until', now) }),
  };
  if (range.since !== undefined && range.until !== undefined && range.since > range.until)
    throw new ApiError('invalid_parameter', '"since" is after "until"');
  return range;
}

/** A route match from the event filter parameters, checked like a route's `match`. */
export function parseMatch(source: Query | Record<string, unknown>, at = 'query'): RouteMatchConfig {
  const match: Record<string, unknown> = {};
  for (const key of eventFilterKeys) {
    const values = at === 'query' ? listParam(source, key) : (source[key] as unknown);
    if (values === undefined) continue;
    match[key] = Array.isArray(values) && values.length === 1 ? values[0] : values;
  }
  if (!checkMatch(match)) {
    const problems = formatAjvErrors(checkMatch.errors as ErrorObject[], at);
    throw new ApiError('invalid_parameter', problems.slice(0, 5).join('; '));
  }
  return match;
}

/** The event filter of a list request: match keys and time range, globs compiled. */
export function parseEventFilter(query: Query, now: number): CompiledEventFilter {
  const match = parseMatch(query);
  try {
    return compileEventFilter({ match, ...parseRange(query, now) });
  } catch (e) {
    throw new ApiError('invalid_parameter', (e as Error).message);
  }
}

import { parseDuration } from '../config/duration';
import { matchFields } from '../routing/compiled-route';
import type { Silence } from '../store/create-silence-store';
import type { ApiClient } from './api-client';

/** What `ci-relay silence add` takes. */
export interface SilenceAddOptions {
  /** `key=value` pairs (route match keys); a key given twice means "any of". */
  match: string[];
  /** How long from now (`2h`, `30m`), or `until`. */
  for?: string | undefined;
  /** An ISO 8601 end. */
  until?: string | undefined;
  comment: string;
  /** Say it on purpose: a silence with no match silences everything. */
  all?: boolean | undefined;
}

/** `repository=acme/web branch=main branch=release/*` as a route `match` block; throws on a bad pair or key. */
export function parseMatchPairs(pairs: readonly string[]): Record<string, string | string[] | boolean> {
  const match: Record<string, string[]> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    const key = pair.slice(0, at).trim();
    const value = pair.slice(at + 1).trim();
    if (at <= 0 || value === '') throw new Error(`[cli] --match takes key=value, not "${pair}"`);
    if (!(key in matchFields))
      throw new Error(`[cli] --match: unknown key "${key}"; one of ${Object.keys(matchFields).join(', ')}`);
    (match[key] ??= []).push(value);
  }
  return Object.fromEntries(
    Object.entries(match).map(([key, values]) =>
      key === 'flaky' ? [key, values[0] === 'true'] : [key, values.length === 1 ? (values[0] ?? '') : values],
    ),
  );
}

/** Creates a silence through the API; resolves to it. */
export async function addSilence(
  api: ApiClient,
  options: SilenceAddOptions,
  now = Date.now(),
): Promise<Silence> {
  if ((options.for === undefined) === (options.until === undefined))
    throw new Error('[cli] say how long: --for 2h, or --until 2025-06-01T18:00:00Z');
  const endsAt =
    options.until !== undefined
      ? new Date(options.until).toISOString()
      : new Date(now + parseDuration(options.for ?? '')).toISOString();
  return api.post<Silence>('/v1/silences', {
    match: parseMatchPairs(options.match),
    endsAt,
    comment: options.comment,
    ...(options.all === true && { all: true }),
  });
}

/** One line per silence, for a terminal. */
export function formatSilence(s: Silence): string {
  const match = Object.entries(s.match)
    .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('|') : String(v)}`)
    .join(' ');
  return `${s.id}  ${s.state.padEnd(7)} ${s.startsAt} .. ${s.endsAt}  ${match || '(everything)'}  by ${s.createdBy}: ${s.comment}`;
}

/** The silences, newest first; expired ones only when asked. */
export async function listSilences(api: ApiClient, withExpired = false): Promise<Silence[]> {
  const query = withExpired ? '' : '?state=active&state=pending';
  return (await api.get<{ items: Silence[] }>(`/v1/silences${query}`)).items;
}

/** Expires a silence now; resolves to it. */
export async function expireSilence(api: ApiClient, id: string): Promise<Silence> {
  return api.delete<Silence>(`/v1/silences/${encodeURIComponent(id)}`);
}

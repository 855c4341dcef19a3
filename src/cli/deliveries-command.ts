import type { Delivery } from '../store/delivery-record';
import type { ApiClient } from './api-client';

/** Filters of `ci-relay deliveries list|retry`. */
export interface DeliveriesFilter {
  state?: string[] | undefined;
  sink?: string[] | undefined;
  route?: string[] | undefined;
  event?: string[] | undefined;
  since?: string | undefined;
}

function query(filter: DeliveriesFilter, extra: Record<string, string> = {}): string {
  const params = new URLSearchParams(extra);
  for (const key of ['state', 'sink', 'route', 'event'] as const)
    for (const value of filter[key] ?? []) params.append(key, value);
  if (filter.since) params.set('since', filter.since);
  return params.toString();
}

/** One line per delivery, for a terminal. */
export function formatDelivery(d: Delivery): string {
  const last = d.attempts.at(-1);
  const next = d.nextAttemptAt ? ` next ${d.nextAttemptAt}` : '';
  const error = d.error ? `  ${d.error}` : '';
  return `${d.id}  ${d.state.padEnd(8)} ${d.sink}  ${d.route}  ${d.repository} ${d.pipeline}  ${last?.at ?? d.updatedAt} (${d.attempts.length} attempts)${next}${error}`;
}

/** Every delivery matching `filter`, newest first, page by page (at most `limit`). */
export async function* listDeliveries(
  api: ApiClient,
  filter: DeliveriesFilter,
  limit = Infinity,
): AsyncGenerator<Delivery> {
  let cursor: string | undefined;
  let seen = 0;
  do {
    const page = await api.get<{ items: Delivery[]; nextCursor?: string }>(
      `/v1/deliveries?${query(filter, { limit: String(Math.min(500, limit - seen)), ...(cursor && { cursor }) })}`,
    );
    for (const d of page.items) {
      yield d;
      if (++seen >= limit) return;
    }
    cursor = page.nextCursor;
  } while (cursor);
}

/**
 * Retries the given deliveries, or every failed one matching `filter`, reporting progress on
 * `progress` (stderr) as it goes: `retried 12/40`. Resolves to the number retried and the failures.
 */
export async function retryDeliveries(
  api: ApiClient,
  ids: string[],
  filter: DeliveriesFilter,
  progress: (line: string) => void,
): Promise<{ retried: number; failed: Array<{ id: string; error: string }> }> {
  const targets = [...ids];
  if (targets.length === 0)
    for await (const d of listDeliveries(api, { ...filter, state: ['failed'] })) targets.push(d.id);
  const failed: Array<{ id: string; error: string }> = [];
  let retried = 0;
  for (const [i, id] of targets.entries()) {
    try {
      await api.post(`/v1/deliveries/${encodeURIComponent(id)}/retry`);
      retried++;
    } catch (e) {
      failed.push({ id, error: (e as Error).message });
    }
    if ((i + 1) % 10 === 0 || i + 1 === targets.length) progress(`retried ${retried}/${targets.length}`);
  }
  return { retried, failed };
}

import { encodeCursor, type ListPosition } from './list-cursor';

/** One page of a list, newest first. */
export interface Page<T> {
  items: T[];
  /** Pass back as `cursor` for the next page; absent on the last page. */
  nextCursor?: string;
}

/** A page request. */
export interface PageRequest {
  /** @defaultValue 50 */
  limit: number;
  cursor?: ListPosition | undefined;
}

/** Most records one list request examines before it answers with what it found and a cursor to go on. */
export const scanBudget = 5000;

/**
 * Fills a page from index positions (newest first): loads the records in batches, keeps those that pass
 * `test`, and stops at `limit` items or after examining {@link scanBudget} records, so a rare filter
 * over many records still answers in bounded time (fewer items, and a cursor to go on).
 */
export async function collectPage<T>(options: {
  positions: AsyncIterable<ListPosition>;
  /** The records of `ids`, in their order; undefined for one that is gone (trimmed meanwhile). */
  load: (ids: readonly string[]) => Promise<Array<T | undefined>>;
  test: (item: T) => boolean;
  limit: number;
}): Promise<Page<T>> {
  const { positions, load, test, limit } = options;
  const size = Math.min(limit * 2, 500);
  const items: T[] = [];
  let examined = 0;
  let batch: ListPosition[] = [];
  const drain = async (): Promise<string | undefined> => {
    const chunk = batch;
    batch = [];
    const records = await load(chunk.map((p) => p.id));
    for (const [i, record] of records.entries()) {
      examined++;
      if (record !== undefined && test(record)) items.push(record);
      if (items.length === limit || examined >= scanBudget) return encodeCursor(chunk[i] as ListPosition);
    }
    return undefined;
  };
  for await (const position of positions) {
    batch.push(position);
    if (batch.length >= size) {
      const cursor = await drain();
      if (cursor) return { items, nextCursor: cursor };
    }
  }
  const cursor = batch.length > 0 ? await drain() : undefined;
  // Stopped at the very end of the index: a cursor would only lead to an empty page.
  return cursor && items.length === limit ? { items, nextCursor: cursor } : { items };
}

import type { Redis } from 'ioredis';
import type { ListPosition } from './list-cursor';

/** A time range in ms since the epoch, both ends inclusive and optional. */
export interface TimeRange {
  since?: number | undefined;
  until?: number | undefined;
}

/** Whether `a` comes before `b` newest first: higher score first, then higher id (Redis' REV order). */
function before(a: ListPosition, b: ListPosition): boolean {
  return a.score > b.score || (a.score === b.score && a.id > b.id);
}

/** One sorted set read backwards in batches from a position. */
class Reader {
  private buffer: ListPosition[] = [];
  private done = false;
  constructor(
    private readonly redis: Redis,
    private readonly key: string,
    private readonly min: number,
    private position: ListPosition | undefined,
    private readonly max: number,
    private readonly batch: number,
  ) {}

  async peek(): Promise<ListPosition | undefined> {
    if (this.buffer.length === 0 && !this.done) await this.fill();
    return this.buffer[0];
  }

  take(): ListPosition | undefined {
    const next = this.buffer.shift();
    if (next) this.position = next;
    return next;
  }

  private async fill(): Promise<void> {
    const from = this.position;
    const top = from ? Math.min(from.score, this.max) : this.max;
    // Members that share the position's score and sort at or above it were returned already: skip them.
    // Several may share a millisecond, so fetch enough to see past them.
    let size = this.batch;
    for (;;) {
      const raw = await this.redis.zrange(
        this.key,
        top === Infinity ? '+inf' : top,
        this.min === -Infinity ? '-inf' : this.min,
        'BYSCORE',
        'REV',
        'LIMIT',
        0,
        size,
        'WITHSCORES',
      );
      const items: ListPosition[] = [];
      for (let i = 0; i + 1 < raw.length; i += 2)
        items.push({ id: raw[i] as string, score: Number(raw[i + 1]) });
      const fresh = from ? items.filter((item) => before(from, item)) : items;
      if (fresh.length > 0 || items.length < size) {
        this.buffer = fresh;
        this.done = items.length < size;
        return;
      }
      size *= 4;
    }
  }
}

/**
 * Reads the members of the union of `keys` (sorted sets scored by time) newest first, within `range`
 * and after `after`: a k-way merge over the sets, each read in batches, so a page costs O(log N + page)
 * per set whatever the number of retained records.
 */
export async function* readNewestFirst(
  redis: Redis,
  keys: readonly string[],
  range: TimeRange,
  after: ListPosition | undefined,
  batch = 100,
): AsyncGenerator<ListPosition> {
  const readers = [...new Set(keys)].map(
    (key) => new Reader(redis, key, range.since ?? -Infinity, after, range.until ?? Infinity, batch),
  );
  for (;;) {
    let best: Reader | undefined;
    let bestItem: ListPosition | undefined;
    for (const reader of readers) {
      const item = await reader.peek();
      if (item && (!bestItem || before(item, bestItem))) {
        best = reader;
        bestItem = item;
      }
    }
    if (!best || !bestItem) return;
    best.take();
    // The same id in two sets (it cannot be, for one field's values) would be yielded once per set.
    yield bestItem;
  }
}

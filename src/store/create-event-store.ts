import type { Redis } from 'ioredis';
import type { RetentionSettings } from '../config/relay-config';
import type { CiEvent } from '../event/ci-event-schema';
import type { CompiledEventFilter } from './event-filter';
import { isGlob, patternsOf } from './event-filter';
import { collectPage, type Page, type PageRequest } from './collect-page';
import { readNewestFirst } from './read-newest-first';
import { indexedEventFields, recordKeys, type IndexedEventField } from './record-keys';
import { streamMaxLength } from './stream-entry';
import { defineScript } from '../redis/define-script';

// Stores one event, lists it in its indexes, refreshes the distinct values given, and announces it on
// the activity stream: atomically, and in one command from node (the JSON is sent once for record and
// stream). KEYS: event, stream, ARGV[4] index keys, then value-set keys; ARGV: json, score, id, number of
// index keys, stream max length, then one value per value-set key.
const recordEventScript = `
redis.call('SET', KEYS[1], ARGV[1])
local n = tonumber(ARGV[4])
for i = 3, 2 + n do redis.call('ZADD', KEYS[i], ARGV[2], ARGV[3]) end
for i = 3 + n, #KEYS do redis.call('ZADD', KEYS[i], ARGV[2], ARGV[6 + i - 3 - n]) end
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[5], '*', 't', 'ci-event', 'd', ARGV[1])
return 1
`;

/** The value of an indexed field of `event`, or undefined when the event has none. */
export function indexedValue(event: CiEvent, field: IndexedEventField): string | undefined {
  switch (field) {
    case 'repository':
      return event.repository.name;
    case 'pipeline':
      return event.pipeline.name;
    default:
      return event[field];
  }
}

/** The index keys an event is listed under. */
export function eventIndexKeys(prefix: string, event: CiEvent): string[] {
  const keys = recordKeys(prefix);
  const out = [keys.events];
  for (const field of indexedEventFields) {
    const value = indexedValue(event, field);
    if (value !== undefined) out.push(keys.eventsBy(field, value));
  }
  return out;
}

export type { Page, PageRequest } from './collect-page';

/** Stores normalized events for the API, indexed by the fields lists filter on. */
export interface EventStore {
  /** Stores `event`, indexes it and announces it on the activity stream, in one round trip. */
  record(event: CiEvent): Promise<void>;
  get(id: string): Promise<CiEvent | undefined>;
  /** Events matching `filter`, newest first. */
  list(filter: CompiledEventFilter, page: PageRequest): Promise<Page<CiEvent>>;
  /** Every event matching `filter`, newest first (replay). */
  each(filter: CompiledEventFilter): AsyncGenerator<CiEvent>;
}

/** Events in Redis: one JSON string each, and a sorted set per indexed field value, scored by receipt time. */
export function createEventStore(deps: {
  redis: Redis;
  prefix: string;
  retention: () => RetentionSettings;
}): EventStore {
  const { redis, prefix, retention } = deps;
  const values = createValueRefresher();
  const recordScript = defineScript(redis, 'ciRelayRecordEvent', undefined, recordEventScript);
  const keys = recordKeys(prefix);

  const load = async (ids: readonly string[]): Promise<Array<CiEvent | undefined>> => {
    if (ids.length === 0) return [];
    const values = await redis.mget(ids.map(keys.event));
    return values.map((v) => (v === null ? undefined : (JSON.parse(v) as CiEvent)));
  };

  /** The sorted sets whose union holds every event that can match: the smallest choice among the indexed filters. */
  const candidateKeys = async (filter: CompiledEventFilter): Promise<string[]> => {
    const choices: string[][] = [];
    for (const field of indexedEventFields) {
      const patterns = patternsOf(filter.match[field]);
      if (patterns.length === 0) continue;
      const values = new Set(patterns.filter((p) => !isGlob(p)));
      if (values.size < patterns.length) {
        // A glob is matched against the values the field has taken: O(distinct values), not O(events).
        const condition = filter.route.conditions.find((c) => c.key === field);
        for (const value of await redis.zrange(keys.eventValues(field), 0, -1))
          if (condition?.test(value)) values.add(value);
      }
      choices.push([...values].map((v) => keys.eventsBy(field, v)));
    }
    if (choices.length === 0) return [keys.events];
    const min = filter.since ?? '-inf';
    const max = filter.until ?? '+inf';
    const pipeline = redis.pipeline();
    for (const choice of choices) for (const key of choice) pipeline.zcount(key, min, max);
    const counts = ((await pipeline.exec()) ?? []).map(([, n]) => Number(n));
    let best = choices[0] as string[];
    let bestSize = Infinity;
    let i = 0;
    for (const choice of choices) {
      let size = 0;
      for (let j = 0; j < choice.length; j++) size += counts[i++] ?? 0;
      if (size < bestSize) [best, bestSize] = [choice, size];
    }
    return best;
  };

  return {
    async record(event) {
      const at = Date.parse(event.receivedAt);
      const indexes = eventIndexKeys(prefix, event);
      const valueKeys: string[] = [];
      const valueArgs: string[] = [];
      for (const field of indexedEventFields) {
        const value = indexedValue(event, field);
        if (value !== undefined && values.due(field, value, at)) {
          valueKeys.push(keys.eventValues(field));
          valueArgs.push(value);
        }
      }
      await recordScript(
        [
          String(2 + indexes.length + valueKeys.length),
          keys.event(event.id),
          keys.stream,
          ...indexes,
          ...valueKeys,
        ],
        [JSON.stringify(event), at, event.id, indexes.length, streamMaxLength(retention()), ...valueArgs],
      );
    },
    async get(id) {
      return (await load([id]))[0];
    },
    async list(filter, page) {
      return collectPage({
        positions: readNewestFirst(
          redis,
          await candidateKeys(filter),
          filter,
          page.cursor,
          Math.min(page.limit * 2, 500),
        ),
        load,
        test: filter.test,
        limit: page.limit,
      });
    },
    async *each(filter) {
      // Loaded 500 at a time, as the index is read.
      const chunk: string[] = [];
      const matches = async () =>
        (await load(chunk.splice(0))).filter((e): e is CiEvent => e !== undefined && filter.test(e));
      for await (const position of readNewestFirst(
        redis,
        await candidateKeys(filter),
        filter,
        undefined,
        500,
      )) {
        chunk.push(position.id);
        if (chunk.length >= 500) yield* await matches();
      }
      yield* await matches();
    },
  };
}

/**
 * The distinct values of each indexed field (for glob filters) are kept with the time each was last seen,
 * so retention can drop the ones no retained event has. Refreshing that time on every event cost 7 Redis
 * commands per event for a score that only needs to be about right: each value is refreshed once a minute
 * per process. Retention works in days; a value's score is at most a minute behind.
 */
function createValueRefresher(
  everyMs = 60_000,
  maxRemembered = 50_000,
): {
  due(field: string, value: string, at: number): boolean;
} {
  const refreshedAt = new Map<string, number>();
  return {
    due(field, value, at) {
      const key = `${field}\n${value}`;
      const last = refreshedAt.get(key);
      if (last !== undefined && at - last < everyMs && at >= last) return false;
      if (refreshedAt.size >= maxRemembered) refreshedAt.clear();
      refreshedAt.set(key, at);
      return true;
    },
  };
}

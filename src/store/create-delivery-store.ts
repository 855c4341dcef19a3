import type { Redis } from 'ioredis';
import type { RetentionSettings } from '../config/relay-config';
import type { CiEvent } from '../event/ci-event-schema';
import { defineScript } from '../redis/define-script';
import { collectPage, type Page, type PageRequest } from './collect-page';
import {
  deliveryStates,
  parseDelivery,
  type Delivery,
  type DeliveryAttemptRecord,
  type DeliveryBase,
  type DeliveryState,
} from './delivery-record';
import { readNewestFirst, type TimeRange } from './read-newest-first';
import { recordKeys, type IndexedDeliveryField } from './record-keys';
import { streamMaxLength } from './stream-entry';

// Creates or updates one delivery record, moves it between the state indexes and announces the change
// on the activity stream, atomically. Mode "create" leaves an existing record alone, so the router's
// "pending" never overwrites what a fast worker already recorded, and returns that record's state.
const upsertScript = `
local cur = redis.call('GET', KEYS[1])
local doc
local old
local score
if cur then
  if ARGV[2] == 'create' then return cjson.decode(cur).state end
  doc = cjson.decode(cur)
  old = doc.state
  score = redis.call('ZSCORE', KEYS[3], doc.id) or ARGV[7]
else
  doc = cjson.decode(ARGV[1])
  score = ARGV[7]
  for i = 3, 6 do redis.call('ZADD', KEYS[i], score, doc.id) end
end
if type(doc.attempts) ~= 'table' then doc.attempts = {} end
if ARGV[4] ~= '' then table.insert(doc.attempts, cjson.decode(ARGV[4])) end
doc.state = ARGV[3]
doc.updatedAt = ARGV[6]
if ARGV[5] ~= '' then doc.nextAttemptAt = ARGV[5] else doc.nextAttemptAt = nil end
if ARGV[9] ~= '' then doc.error = ARGV[9] else doc.error = nil end
if old ~= doc.state then
  local states = cjson.decode(ARGV[10])
  for i, name in ipairs(states) do
    if name == old then redis.call('ZREM', KEYS[6 + i], doc.id) end
    if name == doc.state then redis.call('ZADD', KEYS[6 + i], score, doc.id) end
  end
end
local json = cjson.encode(doc)
redis.call('SET', KEYS[1], json)
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[8], '*', 't', 'delivery', 'd', json)
return 1
`;

/** A change of a delivery's state, with the attempt (or action) that caused it. */
export interface DeliveryChange {
  state: DeliveryState;
  attempt?: DeliveryAttemptRecord | undefined;
  /** Epoch ms of the next retry (state retrying). */
  nextAttemptAt?: number | undefined;
  /** The last error (states retrying and failed). */
  error?: string | undefined;
  /** Epoch ms. @defaultValue now */
  at?: number;
}

/** A filter on deliveries: any of the listed values of each field. */
export interface DeliveryFilter extends TimeRange {
  state?: readonly DeliveryState[] | undefined;
  sink?: readonly string[] | undefined;
  route?: readonly string[] | undefined;
  event?: readonly string[] | undefined;
}

/** Delivery records for the API: one per notification, with every attempt. */
export interface DeliveryStore {
  /**
   * Records a new delivery, unless one with its id exists: then it returns that one's state (the router
   * routing an event again after a crash learns whether the notification went out already).
   */
  create(base: DeliveryBase, change: DeliveryChange): Promise<DeliveryState | undefined>;
  /** Records a state change (creating the record from `base` when it is missing). */
  update(base: DeliveryBase, change: DeliveryChange): Promise<void>;
  get(id: string): Promise<Delivery | undefined>;
  list(filter: DeliveryFilter, page: PageRequest): Promise<Page<Delivery>>;
  /** Every delivery of one event, newest first. */
  forEvent(eventId: string): Promise<Delivery[]>;
}

/** The base of the delivery of `event` through (route, sink) with notification id `id`. */
export function deliveryBase(
  id: string,
  event: CiEvent,
  route: string,
  sink: string,
  createdAtMs: number,
  replayOf?: string,
): DeliveryBase {
  return {
    id,
    eventId: event.id,
    route,
    sink,
    createdAt: new Date(createdAtMs).toISOString(),
    source: event.source,
    provider: event.provider,
    repository: event.repository.name,
    ...(event.branch !== undefined && { branch: event.branch }),
    pipeline: event.pipeline.name,
    ...(replayOf !== undefined && { replayOf }),
  };
}

/** The field of a delivery each index is keyed by. */
const indexValue: Record<IndexedDeliveryField, (d: DeliveryBase) => string> = {
  state: () => '',
  sink: (d) => d.sink,
  route: (d) => d.route,
  event: (d) => d.eventId,
};

/** Every index key a delivery can be listed under (trimming removes it from all of them). */
export function deliveryIndexKeys(prefix: string, delivery: DeliveryBase): string[] {
  const keys = recordKeys(prefix);
  return [
    keys.deliveries,
    ...(['sink', 'route', 'event'] as const).map((f) => keys.deliveriesBy(f, indexValue[f](delivery))),
    ...deliveryStates.map((s) => keys.deliveriesBy('state', s)),
  ];
}

/** Delivery records in Redis: one JSON string each, sorted sets by state, sink, route and event. */
export function createDeliveryStore(deps: {
  redis: Redis;
  prefix: string;
  retention: () => RetentionSettings;
  now?: () => number;
}): DeliveryStore {
  const { redis, prefix, retention, now = Date.now } = deps;
  const keys = recordKeys(prefix);
  const upsert = defineScript(redis, 'ciRelayUpsertDelivery', 12, upsertScript);
  const statesJson = JSON.stringify(deliveryStates);

  const write = async (mode: 'create' | 'update', base: DeliveryBase, change: DeliveryChange) => {
    const at = change.at ?? now();
    const updatedAt = new Date(at).toISOString();
    const doc: Delivery = { ...base, state: change.state, attempts: [], updatedAt };
    const answer = await upsert(
      [keys.delivery(base.id), keys.stream, ...deliveryIndexKeys(prefix, base)],
      [
        JSON.stringify(doc),
        mode,
        change.state,
        change.attempt ? JSON.stringify(change.attempt) : '',
        change.nextAttemptAt === undefined ? '' : new Date(change.nextAttemptAt).toISOString(),
        updatedAt,
        Date.parse(base.createdAt),
        streamMaxLength(retention()),
        change.error ?? '',
        statesJson,
      ],
    );
    return typeof answer === 'string' ? (answer as DeliveryState) : undefined;
  };

  const load = async (ids: readonly string[]): Promise<Delivery[]> => {
    if (ids.length === 0) return [];
    const values = await redis.mget(ids.map(keys.delivery));
    return values.filter((v): v is string => v !== null).map(parseDelivery);
  };

  const test = (filter: DeliveryFilter, d: Delivery): boolean =>
    (!filter.state || filter.state.includes(d.state)) &&
    (!filter.sink || filter.sink.includes(d.sink)) &&
    (!filter.route || filter.route.includes(d.route)) &&
    (!filter.event || filter.event.includes(d.eventId));

  return {
    create: (base, change) => write('create', base, change),
    update: async (base, change) => {
      await write('update', base, change);
    },
    async get(id) {
      return (await load([id]))[0];
    },
    async list(filter, page) {
      // Read the union of the first given filter's indexes (event, then state, sink, route); test the rest.
      const field = (['event', 'state', 'sink', 'route'] as const).find((f) => filter[f] !== undefined);
      const indexKeys = field
        ? (filter[field] ?? []).map((v) => keys.deliveriesBy(field, v))
        : [keys.deliveries];
      return collectPage({
        positions: readNewestFirst(redis, indexKeys, filter, page.cursor, Math.min(page.limit * 2, 500)),
        load: async (ids) => {
          const byId = new Map((await load(ids)).map((d) => [d.id, d]));
          return ids.map((id) => byId.get(id));
        },
        test: (d) => test(filter, d),
        limit: page.limit,
      });
    },
    async forEvent(eventId) {
      const ids = await redis.zrange(keys.deliveriesBy('event', eventId), 0, -1, 'REV');
      return load(ids);
    },
  };
}

import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { RetentionSettings } from '../config/relay-config';
import type { CiEvent } from '../event/ci-event-schema';
import { deliveryIndexKeys } from './create-delivery-store';
import { eventIndexKeys } from './create-event-store';
import { parseDelivery } from './delivery-record';
import { indexedEventFields, recordKeys } from './record-keys';

/** What one trimming pass removed. */
export interface TrimResult {
  events: number;
  deliveries: number;
}

/** Removes records older than the retention, and the oldest events beyond its count. */
export interface RetentionTrimmer {
  /** One full pass (tests call it directly). */
  trim(): Promise<TrimResult>;
  /** Starts passes every `intervalMs`. */
  start(): void;
  close(): Promise<void>;
}

const batchSize = 500;

/**
 * Trims continuously, so memory stays flat under constant traffic: each pass removes events older than
 * `retention.days` and the oldest beyond `retention.events`, with their deliveries and index entries,
 * then the old parts of the stream, the run board and the audit log. One instance trims at a time.
 */
export function createRetentionTrimmer(deps: {
  redis: Redis;
  prefix: string;
  retention: () => RetentionSettings;
  log: Logger;
  now?: () => number;
  /** @defaultValue 10000 */
  intervalMs?: number;
  /**
   * How far before the oldest retained event the activity stream is kept: room for relay hosts whose
   * clocks differ from this one's. @defaultValue 60000
   */
  streamMarginMs?: number;
}): RetentionTrimmer {
  const { redis, prefix, retention, log, now = Date.now, intervalMs = 10_000 } = deps;
  const streamMarginMs = deps.streamMarginMs ?? 60_000;
  const keys = recordKeys(prefix);
  let timer: NodeJS.Timeout | undefined;
  let pass: Promise<unknown> | undefined;

  const removeDeliveries = async (ids: string[]): Promise<number> => {
    if (ids.length === 0) return 0;
    const values = await redis.mget(ids.map(keys.delivery));
    const multi = redis.multi();
    for (const [i, json] of values.entries()) {
      const id = ids[i] as string;
      if (json) for (const key of deliveryIndexKeys(prefix, parseDelivery(json))) multi.zrem(key, id);
      else multi.zrem(keys.deliveries, id);
      multi.del(keys.delivery(id));
    }
    await multi.exec();
    return ids.length;
  };

  const removeEvents = async (ids: string[]): Promise<TrimResult> => {
    const values = await redis.mget(ids.map(keys.event));
    const deliveryIds = new Set<string>();
    const lookups = redis.pipeline();
    for (const id of ids) lookups.zrange(keys.deliveriesBy('event', id), 0, -1);
    for (const [, found] of (await lookups.exec()) ?? [])
      for (const d of (found as string[]) ?? []) deliveryIds.add(d);
    const deliveries = await removeDeliveries([...deliveryIds]);
    const multi = redis.multi();
    for (const [i, json] of values.entries()) {
      const id = ids[i] as string;
      if (json) for (const key of eventIndexKeys(prefix, JSON.parse(json) as CiEvent)) multi.zrem(key, id);
      else multi.zrem(keys.events, id);
      multi.del(keys.event(id));
    }
    await multi.exec();
    return { events: ids.length, deliveries };
  };

  const trim = async (): Promise<TrimResult> => {
    const { days, events: maxEvents } = retention();
    const cutoff = now() - days * 24 * 3600 * 1000;
    const total: TrimResult = { events: 0, deliveries: 0 };
    for (;;) {
      const old = await redis.zrangebyscore(keys.events, '-inf', `(${cutoff}`, 'LIMIT', 0, batchSize);
      const excess = (await redis.zcard(keys.events)) - maxEvents;
      const oldest =
        excess > 0 && old.length < batchSize
          ? await redis.zrange(keys.events, 0, Math.min(excess, batchSize) - 1)
          : [];
      const ids = [...new Set([...old, ...oldest])];
      if (ids.length === 0) break;
      const removed = await removeEvents(ids);
      total.events += removed.events;
      total.deliveries += removed.deliveries;
    }
    // Deliveries outlive their event only through a replay of an old one: trim them by age too.
    for (;;) {
      const old = await redis.zrangebyscore(keys.deliveries, '-inf', `(${cutoff}`, 'LIMIT', 0, batchSize);
      if (old.length === 0) break;
      total.deliveries += await removeDeliveries(old);
    }
    // Stream ids are Redis's clock, records' times this process's: the offset maps one onto the other.
    const [seconds = '0', micros = '0'] = await redis.time();
    const offset = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000) - now();
    // The activity stream keeps nothing older than the oldest retained event: it carries each event
    // (and its deliveries) a second time, and past retention.events it held events no list had.
    const [, oldestAt] = await redis.zrange(keys.events, 0, 0, 'WITHSCORES');
    const streamFrom = Math.max(cutoff, oldestAt === undefined ? cutoff : Number(oldestAt) - streamMarginMs);
    const multi = redis.multi();
    for (const field of indexedEventFields)
      multi.zremrangebyscore(keys.eventValues(field), '-inf', `(${cutoff}`);
    multi.xtrim(keys.audit, 'MINID', '~', String(Math.max(0, cutoff + offset)));
    await multi.exec();
    // An approximate XTRIM removes at most 100 stream nodes (10 000 entries) per call, so that no call
    // holds Redis long: repeat while a call removes that many.
    const streamMinId = String(Math.max(0, streamFrom + offset));
    for (let i = 0; i < 100; i++) {
      if ((await redis.xtrim(keys.stream, 'MINID', '~', streamMinId)) < 10_000) break;
    }
    const staleLines = await redis.zrangebyscore(keys.boardIndex, '-inf', `(${cutoff}`);
    if (staleLines.length > 0) {
      await redis
        .multi()
        .hdel(keys.board, ...staleLines)
        .zrem(keys.boardIndex, ...staleLines)
        .exec();
    }
    if (total.events + total.deliveries > 0) log.debug(total, '[retention] trimmed old records');
    return total;
  };

  const tick = async () => {
    // One instance trims per interval; the others find the lock taken and wait for the next tick.
    const got = await redis.set(keys.trimLock, String(process.pid), 'PX', intervalMs, 'NX').catch(() => null);
    if (got === null) return;
    await trim().catch((err: unknown) => log.warn({ err }, '[retention] trimming failed; will try again'));
  };

  return {
    trim,
    start() {
      if (timer) return;
      timer = setInterval(() => {
        pass ??= tick().finally(() => (pass = undefined));
      }, intervalMs);
      timer.unref();
    },
    async close() {
      clearInterval(timer);
      timer = undefined;
      await pass;
    },
  };
}

import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { RetentionSettings } from '../config/relay-config';
import type { CiEvent } from '../event/ci-event-schema';
import { deliveryIndexKeys } from './create-delivery-store';
import { eventIndexKeys } from './create-event-store';
import { parseDelivery } from './delivery-record';
import { indexedEventFields, recordKeys } from './record-keys';
import { createRedisLock } from '../redis/create-redis-lock';

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

/** How long a trimming pass may hold the lock, should its instance die before it lets go. */
const passLeaseMs = 5 * 60_000;

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
}): RetentionTrimmer {
  const { redis, prefix, retention, log, now = Date.now, intervalMs = 10_000 } = deps;
  const keys = recordKeys(prefix);
  const takeLock = createRedisLock(redis, { ttlMs: Math.max(intervalMs, passLeaseMs), waitMs: 0 });
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

  // An approximate XTRIM removes whole nodes, at most about 10 000 entries per call, so that no call
  // holds Redis long.
  const trimStream = async (minId: string | undefined) => {
    if (minId === undefined) return;
    // It stops short of its limit when the next node would pass it, so repeat until one removes nothing.
    for (let i = 0; i < 100; i++) {
      if ((await redis.xtrim(keys.stream, 'MINID', '~', minId)) === 0) break;
    }
  };

  /**
   * Where the activity stream may start once events were trimmed by count: it carries each event (and
   * its deliveries) a second time, and it kept events no list had any more. A pass notes the stream's
   * last id with the newest retained event's time, read together (once a hundredth of retention.events
   * arrived since the last note). A note whose time is older than the oldest retained event marks a
   * point before which every entry belongs to a trimmed event, however late the router recorded it (a
   * backlog) and whatever the hosts' clocks say.
   */
  const streamMinIdByCount = async (): Promise<string | undefined> => {
    const [newest, last] = ((await redis
      .multi()
      .zrange(keys.events, -1, -1, 'WITHSCORES')
      .xrevrange(keys.stream, '+', '-', 'COUNT', 1)
      .exec()) ?? []) as Array<[Error | null, unknown]>;
    const newestAt = (newest?.[1] as string[] | undefined)?.[1];
    const lastId = (last?.[1] as Array<[string, string[]]> | undefined)?.[0]?.[0];
    // A note per hundredth of retention.events is precise enough (the stream keeps at most about 1%
    // more) and keeps the notes few: about 100, since each needs that many events after the last.
    const [, latestNoteAt] = await redis.zrevrange(keys.streamMarks, 0, 0, 'WITHSCORES');
    if (
      newestAt !== undefined &&
      lastId !== undefined &&
      (latestNoteAt === undefined ||
        (await redis.zcount(keys.events, `(${latestNoteAt}`, '+inf')) >= retention().events / 100)
    )
      await redis.zadd(keys.streamMarks, newestAt, lastId);
    const [, oldestAt] = await redis.zrange(keys.events, 0, 0, 'WITHSCORES');
    if (oldestAt === undefined) return undefined;
    const [minId] = await redis.zrevrangebyscore(keys.streamMarks, `(${oldestAt}`, '-inf', 'LIMIT', 0, 1);
    // Older notes point further back: the newest one before the oldest event is all that is needed.
    if (minId !== undefined) await redis.zremrangebyscore(keys.streamMarks, '-inf', `(${oldestAt}`);
    return minId;
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
    const ageMinId = String(
      Math.max(0, cutoff + Number(seconds) * 1000 + Math.floor(Number(micros) / 1000) - now()),
    );
    const multi = redis.multi();
    for (const field of indexedEventFields)
      multi.zremrangebyscore(keys.eventValues(field), '-inf', `(${cutoff}`);
    multi.xtrim(keys.audit, 'MINID', '~', ageMinId);
    multi.zremrangebyscore(keys.streamMarks, '-inf', `(${cutoff}`);
    await multi.exec();
    await trimStream(ageMinId);
    await trimStream(await streamMinIdByCount());
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
    // One instance trims per interval, and never two at once: the lock is held for the whole pass (two
    // passes side by side each removed the same excess, trimming below retention.events), then kept
    // for what is left of the interval. An instance that dies mid-pass holds it for the lease at most.
    const started = now();
    const release = await takeLock(keys.trimLock).catch(() => undefined);
    if (!release) return;
    await trim().catch((err: unknown) => log.warn({ err }, '[retention] trimming failed; will try again'));
    await release(Math.max(1, intervalMs - (now() - started))).catch(() => undefined);
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

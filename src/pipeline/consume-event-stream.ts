import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { defineScript } from '../redis/define-script';
import type { CiEvent } from '../event/ci-event-schema';
import type { RedisClient } from '../redis/keyspace';
import { eventStreamGroup, type EventStreamKeys } from './event-stream';

// Acknowledges a routed entry and deletes it, in one command: the stream holds only what is left to route.
const ackScript = `
redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
return redis.call('XDEL', KEYS[1], ARGV[2])
`;

/** Options of {@link consumeEventStream}. */
export interface EventStreamConsumerOptions {
  /** Non-blocking connection: acknowledgements, claims, dead letters. */
  redis: RedisClient;
  /** A connection of its own for the blocking read (XREADGROUP BLOCK holds it); closed by `close()`. */
  blocking: RedisClient;
  keys: EventStreamKeys;
  /** Routes one event; a rejection retries it (backoff), then dead-letters it after `maxAttempts`. */
  handle: (event: CiEvent) => Promise<void>;
  log: Logger;
  /** Events handled at once. @defaultValue 16 */
  concurrency?: number;
  /**
   * An entry another router took and has not acknowledged for this long is taken over (that router is
   * taken for dead). Entries in hand are refreshed every third of it, so a slow one is not.
   * @defaultValue 30000
   */
  stalledAfterMs?: number | (() => number);
  /** Attempts before an event is moved to the dead-letter stream. @defaultValue 10 */
  maxAttempts?: number;
  /** Delay before the `n`th retry (1-based). @defaultValue 1 s doubling, at most 30 s */
  retryDelayMs?: (retry: number) => number;
  /** How long one blocking read waits: also the longest `close()` waits for it. @defaultValue 1000 */
  blockMs?: number;
}

/** A running consumer of one event queue's stream. */
export interface EventStreamConsumer {
  /** Resolves once the consumer group exists (created at the stream's start if it did not). */
  ready: Promise<void>;
  /** Stops reading, waits for the events in hand. Unacknowledged entries stay for the next router. */
  close(): Promise<void>;
}

type Entry = [id: string, fields: string[]];
type ReadReply = Array<[stream: string, entries: Entry[]]> | null;

/**
 * Reads one event queue's stream as a member of the `router` consumer group: each entry goes to one
 * router, is handled, then acknowledged and deleted in one call. Nothing is lost when a router dies: its
 * unacknowledged entries stay pending in the group and another router (or this one, restarted) claims
 * them once idle for `stalledAfterMs`, as BullMQ does with stalled jobs. Routing is idempotent (ids are
 * derived from the event), so an event handled twice after such a takeover sends nothing twice.
 */
export function consumeEventStream(options: EventStreamConsumerOptions): EventStreamConsumer {
  const { redis, blocking, keys, handle, log, concurrency = 16, maxAttempts = 10, blockMs = 1000 } = options;
  const stalledAfter = () =>
    typeof options.stalledAfterMs === 'function'
      ? options.stalledAfterMs()
      : (options.stalledAfterMs ?? 30_000);
  const retryDelayMs = options.retryDelayMs ?? ((n: number) => Math.min(30_000, 1000 * 2 ** (n - 1)));
  const consumer = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  const stream = keys.stream;

  /**
   * Creates the group at the stream's start, so entries appended before it existed are routed too. Also
   * after Redis lost its data (a restart without persistence): the next read says NOGROUP.
   */
  const ensureGroup = async () => {
    try {
      await redis.xgroup('CREATE', stream, eventStreamGroup, '0', 'MKSTREAM');
    } catch (err) {
      if (!String((err as Error).message).includes('BUSYGROUP')) throw err;
    }
  };
  let groupReady = ensureGroup();

  /** Entries in hand (being handled or waiting to retry), by stream id. */
  const inHand = new Map<string, Promise<void>>();
  /** Retry waits in progress: `close()` ends them early. */
  const waits = new Map<NodeJS.Timeout, () => void>();
  let closing = false;
  let wake: (() => void) | undefined;

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        waits.delete(timer);
        resolve();
      }, ms);
      waits.set(timer, resolve);
    });

  const ackAndDelete = defineScript(redis as Redis, 'ciRelayAckEvent', 1, ackScript);
  const acknowledge = async (id: string) => {
    await ackAndDelete([stream], [eventStreamGroup, id]);
  };

  const deadLetter = async (id: string, json: string, error: string) => {
    await redis
      .multi()
      .xadd(keys.dead, '*', 'id', id, 'd', json, 'error', error)
      .xack(stream, eventStreamGroup, id)
      .xdel(stream, id)
      .exec();
  };

  const run = async (id: string, fields: string[], deliveries: number) => {
    const json = fieldOf(fields, 'd');
    let event: CiEvent;
    try {
      event = JSON.parse(json ?? '') as CiEvent;
    } catch {
      log.error({ entry: id }, '[router] an unreadable event entry was dead-lettered');
      await deadLetter(id, json ?? '', 'unreadable entry');
      return;
    }
    for (let attempt = deliveries; ; attempt++) {
      try {
        await handle(event);
        await acknowledge(id);
        return;
      } catch (err) {
        if (closing) return; // Left pending: the next router takes it.
        const message = err instanceof Error ? err.message : String(err);
        if (attempt >= maxAttempts) {
          log.error(
            { err, event: event.id, attempts: attempt },
            '[router] routing failed; event dead-lettered',
          );
          await deadLetter(id, json as string, message).catch((e: unknown) =>
            log.error({ err: e, event: event.id }, '[router] dead-lettering failed; the entry stays pending'),
          );
          return;
        }
        log.error({ err, event: event.id, attempt }, '[router] routing failed; will retry');
        await sleep(retryDelayMs(attempt));
        if (closing) return;
      }
    }
  };

  const start = (id: string, fields: string[], deliveries = 1) => {
    if (inHand.has(id)) return;
    const done = run(id, fields, deliveries)
      .catch((err: unknown) =>
        log.error({ err, entry: id }, '[router] acknowledging failed; the entry stays pending'),
      )
      .finally(() => {
        inHand.delete(id);
        wake?.();
      });
    inHand.set(id, done);
  };

  const room = () => concurrency - inHand.size;
  const readLoop = (async () => {
    await groupReady.catch(() => undefined);
    while (!closing) {
      if (room() <= 0) {
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
        continue;
      }
      try {
        const reply = (await blocking.xreadgroup(
          'GROUP',
          eventStreamGroup,
          consumer,
          'COUNT',
          room(),
          'BLOCK',
          blockMs,
          'STREAMS',
          stream,
          '>',
        )) as ReadReply;
        for (const [, entries] of reply ?? []) for (const [id, fields] of entries) start(id, fields);
      } catch (err) {
        if (closing) break;
        const message = (err as Error).message;
        if (message.includes('NOGROUP')) {
          groupReady = ensureGroup();
          await groupReady.catch(() => undefined);
        } else {
          log.warn({ err: message }, '[router] reading events failed; retrying');
          await sleep(1000);
        }
      }
    }
  })();

  /**
   * Keeps the entries in hand ours (their idle time reset, without counting a delivery) and takes over
   * entries another router left idle too long, dead-lettering those delivered `maxAttempts` times already
   * (an event that kills its router every time).
   */
  const sweep = async () => {
    await groupReady;
    const stalledMs = stalledAfter();
    const mine = [...inHand.keys()];
    if (mine.length > 0) await redis.xclaim(stream, eventStreamGroup, consumer, 0, ...mine, 'JUSTID');
    const idle = (await redis.xpending(stream, eventStreamGroup, 'IDLE', stalledMs, '-', '+', 100)) as Array<
      [id: string, owner: string, idleMs: number, deliveries: number]
    >;
    for (const [id, owner, , deliveries] of idle) {
      if (inHand.has(id) || room() <= 0) continue;
      const claimed = (await redis.xclaim(stream, eventStreamGroup, consumer, stalledMs, id)) as Entry[];
      const entry = claimed[0];
      if (!entry || !entry[1]) {
        // Deleted meanwhile (an acknowledged entry's late claim): nothing left to route.
        await redis.xack(stream, eventStreamGroup, id);
        continue;
      }
      log.warn({ entry: id, from: owner, deliveries: deliveries + 1 }, '[router] took over a stalled event');
      if (deliveries >= maxAttempts) {
        await deadLetter(id, fieldOf(entry[1], 'd') ?? '', `stalled ${deliveries} times`);
        log.error({ entry: id }, '[router] an event that stalled every router was dead-lettered');
        continue;
      }
      start(id, entry[1], deliveries + 1);
    }
  };
  let sweeping: Promise<void> = Promise.resolve();
  const sweepTimer = setInterval(
    () => {
      sweeping = sweep().catch((err: unknown) =>
        log.warn({ err: (err as Error).message }, '[router] checking for stalled events failed'),
      );
    },
    Math.max(250, Math.floor(stalledAfter() / 3)),
  );
  // The read loop keeps the process alive while the consumer runs; the sweep alone must not.
  sweepTimer.unref();
  // The first sweep at once: a restarted router takes over what a dead one left (once it is idle enough).
  sweeping = sweep().catch(() => undefined);

  return {
    ready: groupReady,
    async close() {
      closing = true;
      clearInterval(sweepTimer);
      for (const [timer, resolve] of waits) {
        clearTimeout(timer);
        resolve();
      }
      waits.clear();
      wake?.();
      // The read in progress ends within blockMs; with Redis down it never would: drop its connection.
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        readLoop,
        new Promise<void>((resolve) => (timer = setTimeout(resolve, blockMs + 500))),
      ]);
      clearTimeout(timer);
      blocking.disconnect();
      await readLoop;
      await sweeping;
      await Promise.all(inHand.values());
    },
  };
}

/** The value of `name` in a stream entry's flat field list. */
function fieldOf(fields: string[], name: string): string | undefined {
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === name) return fields[i + 1];
  return undefined;
}

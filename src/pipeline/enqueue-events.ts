import { createHash } from 'node:crypto';
import type { CiEvent } from '../event/ci-event-schema';
import type { AppendEvents, EventStreamKeys, StreamEvent } from './event-stream';

/** What became of a delivery. `duplicate`: seen before; `ids` are then the events of the first one. */
export interface EnqueueResult {
  duplicate: boolean;
  ids: string[];
}

/** Enqueues the events of one webhook delivery exactly once per (source, delivery id). */
export type EnqueueEvents = (events: CiEvent[], ttlSeconds: number) => Promise<EnqueueResult>;

/** One webhook's events waiting for the next write. */
interface Waiting {
  events: CiEvent[];
  ttlSeconds: number;
  resolve: (result: EnqueueResult) => void;
  reject: (error: unknown) => void;
}

/** The deduplication id of the `index`th event of a delivery: (source, delivery id, position). */
function deduplicationId(event: CiEvent, index: number): string {
  return createHash('sha256').update(`${event.source}\n${event.deliveryId}\n${index}`).digest('base64url');
}

/**
 * Appends each event to its event queue's stream with deduplication on (source, delivery id, position),
 * in one atomic script per queue and write: an event is either queued or not, never half-done. The
 * deduplication key outlives the entry for `ttlSeconds`; a redelivery within that time gets back the
 * event ids of the first delivery instead of new entries. A retry after a failure part-way through a
 * multi-event delivery adds just the events that were missing.
 *
 * Group commit: while one write is in flight, the webhooks that arrive wait and then go together in one
 * script call per queue; each is answered once its own events are in Redis. A lone webhook is written at
 * once, so waiting never adds latency when the receiver is idle.
 */
export function createEventEnqueuer(deps: {
  /** The keys of `event`'s event queue (its run's partition, src/redis/keyspace.ts). */
  queueFor: (event: CiEvent) => EventStreamKeys;
  /** Writes one queue's events (createStreamAppender). */
  append: AppendEvents;
  /** Whether the Redis connection is up; a write would otherwise wait for it and the webhook hang. */
  connected: () => boolean;
  /** @defaultValue 5000 */
  timeoutMs?: number;
  /** Most events written in one round trip. @defaultValue 256 */
  maxBatch?: number;
  /** `redis.waitForReplicas`: called with a key of each queue written, before the webhooks are answered. */
  waitForReplicas?: (key: string) => Promise<void>;
}): EnqueueEvents {
  const { queueFor, append, connected, timeoutMs = 5000, maxBatch = 256, waitForReplicas } = deps;
  const waiting: Waiting[] = [];
  let writing = false;

  const write = async (batch: Waiting[]) => {
    // One call per queue (partition), in one key slot on a cluster; the queues side by side.
    const byQueue = new Map<
      string,
      { keys: EventStreamKeys; at: number[]; events: StreamEvent[]; ttlMs: number }
    >();
    let at = 0;
    for (const w of batch)
      w.events.forEach((event, i) => {
        const keys = queueFor(event);
        let group = byQueue.get(keys.stream);
        if (!group) {
          group = { keys, at: [], events: [], ttlMs: 0 };
          byQueue.set(keys.stream, group);
        }
        group.at.push(at++);
        group.events.push({ id: event.id, json: JSON.stringify(event), dedupId: deduplicationId(event, i) });
        // One TTL per call: the longest asked for in the batch (sources' TTLs are the same in practice).
        group.ttlMs = Math.max(group.ttlMs, w.ttlSeconds * 1000);
      });
    try {
      const ids: Array<string | undefined> = [];
      await withTimeout(
        Promise.all(
          [...byQueue.values()].map(async (group) => {
            const added = await append(group.keys, group.events, group.ttlMs);
            group.at.forEach((position, k) => (ids[position] = added[k]));
          }),
        ),
        timeoutMs,
      );
      // A duplicate waits too: the first delivery's answer may have been the 503 of a replica behind.
      if (waitForReplicas)
        for (const group of byQueue.values())
          await waitForReplicas(group.keys.stream).catch((e: unknown) => {
            throw new QueueUnavailableError((e as Error).message);
          });
      let next = 0;
      for (const w of batch) {
        const mine = w.events.map((event) => ids[next++] ?? event.id);
        const fresh = mine.filter((id, i) => id === w.events[i]?.id).length;
        w.resolve({ duplicate: fresh === 0 && mine.length > 0, ids: mine });
      }
    } catch (error) {
      for (const w of batch) w.reject(error);
    }
  };

  const drain = async () => {
    writing = true;
    while (waiting.length > 0) {
      const batch: Waiting[] = [];
      let events = 0;
      while (
        waiting.length > 0 &&
        (batch.length === 0 || events + (waiting[0]?.events.length ?? 0) <= maxBatch)
      ) {
        const next = waiting.shift() as Waiting;
        events += next.events.length;
        batch.push(next);
      }
      await write(batch);
    }
    writing = false;
  };

  return (events, ttlSeconds) => {
    if (!connected()) return Promise.reject(new QueueUnavailableError('Redis is not connected'));
    return new Promise<EnqueueResult>((resolve, reject) => {
      waiting.push({ events, ttlSeconds, resolve, reject });
      if (!writing) void drain();
    });
  };
}

/** The event queue could not take the events. */
export class QueueUnavailableError extends Error {
  override name = 'QueueUnavailableError';
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new QueueUnavailableError(`Redis did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

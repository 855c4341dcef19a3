import { createHash } from 'node:crypto';
import type { JobsOptions, Queue } from 'bullmq';
import type { CiEvent } from '../event/ci-event-schema';

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
 * Adds each event as a job (job id = event id) with BullMQ deduplication on (source, delivery id,
 * position): one atomic script per event, so an event is either queued or not, never half-done. The
 * deduplication key outlives the job for `ttlSeconds`; a redelivery within that time gets back the job
 * ids of the first delivery instead of new jobs. A retry after a failure part-way through a multi-event
 * delivery adds just the events that were missing.
 *
 * Group commit: while one write is in flight, the webhooks that arrive wait and then go together in one
 * pipelined round trip (`addBulk`); each is answered once its own events are in Redis. A lone webhook is
 * written at once, so waiting never adds latency when the receiver is idle.
 */
export function createEventEnqueuer(deps: {
  /** The event queue of `event` (its run's partition, src/redis/keyspace.ts). */
  queueFor: (event: CiEvent) => Queue;
  /** Whether the queue's Redis connection is up; BullMQ would otherwise wait for it and the webhook hang. */
  connected: () => boolean;
  /** @defaultValue 5000 */
  timeoutMs?: number;
  /** Most events written in one round trip. @defaultValue 256 */
  maxBatch?: number;
  /** `redis.waitForReplicas`: called with a key of each queue written, before the webhooks are answered. */
  waitForReplicas?: (key: string) => Promise<void>;
}): EnqueueEvents {
  const { queueFor, connected, timeoutMs = 5000, maxBatch = 256, waitForReplicas } = deps;
  const waiting: Waiting[] = [];
  let writing = false;

  const write = async (batch: Waiting[]) => {
    // One addBulk per queue (partition): each is one pipelined round trip, the queues side by side.
    const byQueue = new Map<
      Queue,
      Array<{ at: number; job: { name: string; data: CiEvent; opts: JobsOptions } }>
    >();
    let at = 0;
    for (const w of batch)
      w.events.forEach((event, i) => {
        const queue = queueFor(event);
        const jobs = byQueue.get(queue) ?? [];
        jobs.push({
          at: at++,
          job: {
            name: 'event',
            data: event,
            opts: {
              jobId: event.id,
              deduplication: { id: deduplicationId(event, i), ttl: w.ttlSeconds * 1000 },
            },
          },
        });
        byQueue.set(queue, jobs);
      });
    try {
      const ids: Array<string | undefined> = [];
      await withTimeout(
        Promise.all(
          [...byQueue].map(async ([queue, jobs]) => {
            const added = await queue.addBulk(jobs.map((j) => j.job));
            jobs.forEach((j, k) => (ids[j.at] = added[k]?.id));
          }),
        ),
        timeoutMs,
      );
      // A duplicate waits too: the first delivery's answer may have been the 503 of a replica behind.
      if (waitForReplicas)
        for (const queue of byQueue.keys())
          await waitForReplicas(queue.toKey('wait')).catch((e: unknown) => {
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

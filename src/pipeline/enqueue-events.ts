import { createHash } from 'node:crypto';
import type { Queue } from 'bullmq';
import type { CiEvent } from '../event/ci-event-schema';

/** What became of a delivery. `duplicate`: seen before; `ids` are then the events of the first one. */
export interface EnqueueResult {
  duplicate: boolean;
  ids: string[];
}

/** Enqueues the events of one webhook delivery exactly once per (source, delivery id). */
export type EnqueueEvents = (events: CiEvent[], ttlSeconds: number) => Promise<EnqueueResult>;

/**
 * Adds each event as a job (job id = event id) with BullMQ deduplication on (source, delivery id,
 * position): one atomic script per event, so a webhook is either queued or not, never half-done. The
 * deduplication key outlives the job for `ttlSeconds`; a redelivery within that time gets back the job
 * ids of the first delivery instead of new jobs. A retry after a failure part-way through a multi-event
 * delivery adds just the events that were missing.
 */
export function createEventEnqueuer(deps: {
  /** The event queue of `event` (its run's partition, src/redis/keyspace.ts). */
  queueFor: (event: CiEvent) => Queue;
  /** Whether the queue's Redis connection is up; BullMQ would otherwise wait for it and the webhook hang. */
  connected: () => boolean;
  /** @defaultValue 5000 */
  timeoutMs?: number;
  /** `redis.waitForReplicas`: called with a key of each queue written, before the webhook is answered. */
  waitForReplicas?: (key: string) => Promise<void>;
}): EnqueueEvents {
  const { queueFor, connected, timeoutMs = 5000, waitForReplicas } = deps;
  return async (events, ttlSeconds) => {
    if (!connected()) throw new QueueUnavailableError('Redis is not connected');
    const ids: string[] = [];
    const written = new Set<Queue>();
    let added = 0;
    for (const [i, event] of events.entries()) {
      const deduplicationId = createHash('sha256')
        .update(`${event.source}\n${event.deliveryId}\n${i}`)
        .digest('base64url');
      const queue = queueFor(event);
      written.add(queue);
      const job = await withTimeout(
        queue.add('event', event, {
          jobId: event.id,
          deduplication: { id: deduplicationId, ttl: ttlSeconds * 1000 },
        }),
        timeoutMs,
      );
      const id = job.id ?? event.id;
      if (id === event.id) added++;
      ids.push(id);
    }
    // A duplicate waits too: the first delivery's answer may have been the 503 of a replica behind.
    if (waitForReplicas)
      for (const queue of written)
        await waitForReplicas(queue.toKey('wait')).catch((e: unknown) => {
          throw new QueueUnavailableError((e as Error).message);
        });
    return { duplicate: added === 0 && ids.length > 0, ids };
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

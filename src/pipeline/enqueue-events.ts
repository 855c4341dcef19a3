import { createHash } from 'node:crypto';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { CiEvent } from '../event/ci-event-schema';

/** What became of a delivery. `duplicate`: seen before; `ids` are the events of the first one. */
export interface EnqueueResult {
  duplicate: boolean;
  ids: string[];
}

interface DeliveryMarker {
  state: 'pending' | 'done';
  ids: string[];
}

/** Enqueues the events of one webhook delivery exactly once per (source, delivery id). */
export type EnqueueEvents = (events: CiEvent[], ttlSeconds: number) => Promise<EnqueueResult>;

/**
 * Marks the delivery as pending, adds its events (job id = event id), then marks it done. A redelivery
 * of a done delivery is a duplicate. One that finds it pending (an earlier attempt died between the two
 * steps) adds the same events again under the same job ids, which BullMQ ignores if they are there:
 * so an accepted webhook is never lost and never doubled, and a failure leaves nothing half-done.
 */
export function createEventEnqueuer(deps: { redis: Redis; queue: Queue; prefix: string }): EnqueueEvents {
  const { redis, queue, prefix } = deps;
  return async (events, ttlSeconds) => {
    const first = events[0];
    if (!first) return { duplicate: false, ids: [] };
    const digest = createHash('sha256').update(`${first.source}\n${first.deliveryId}`).digest('base64url');
    const key = `${prefix}:delivery:${digest}`;
    let ids = events.map((e) => e.id);
    const claimed = await redis.set(
      key,
      JSON.stringify({ state: 'pending', ids } satisfies DeliveryMarker),
      'EX',
      ttlSeconds,
      'NX',
    );
    if (claimed === null) {
      const existing = await redis.get(key);
      if (existing !== null) {
        const marker = JSON.parse(existing) as DeliveryMarker;
        if (marker.state === 'done') return { duplicate: true, ids: marker.ids };
        ids = marker.ids;
      }
    }
    await queue.addBulk(
      events.map((event, i) => {
        const id = ids[i] ?? event.id;
        return { name: 'event', data: { ...event, id }, opts: { jobId: id } };
      }),
    );
    await redis.set(
      key,
      JSON.stringify({ state: 'done', ids } satisfies DeliveryMarker),
      'EX',
      ttlSeconds,
      'XX',
    );
    return { duplicate: false, ids };
  };
}

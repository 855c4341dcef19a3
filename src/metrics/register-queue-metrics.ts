import type { Queue } from 'bullmq';
import { Gauge } from 'prom-client';
import type { RelayMetrics } from './create-metrics';
import type { RedisClient } from '../redis/keyspace';
import { eventStreamGroup, type EventStreamKeys } from '../pipeline/event-stream';

const states = ['waiting', 'active', 'delayed', 'prioritized', 'failed', 'completed'] as const;

/** An event queue (a stream read by the routers' consumer group) and its name in the metric. */
export interface CountedEventQueue {
  name: string;
  keys: EventStreamKeys;
}

/** Waiting, active (taken by a router, not yet acknowledged) and failed (dead-lettered) events of one queue. */
async function eventQueueCounts(
  redis: RedisClient,
  keys: EventStreamKeys,
): Promise<{ waiting: number; active: number; failed: number }> {
  const replies = await redis
    .multi()
    .xlen(keys.stream)
    .xpending(keys.stream, eventStreamGroup)
    .xlen(keys.dead)
    .exec()
    .catch(() => null);
  const [length, pending, dead] = replies ?? [];
  const total = Number(length?.[1] ?? 0);
  // XPENDING fails with NOGROUP before the first router started: nothing is active then.
  const active = pending?.[0] ? 0 : Number((pending?.[1] as [number] | undefined)?.[0] ?? 0);
  return { waiting: Math.max(0, total - active), active, failed: Number(dead?.[1] ?? 0) };
}

/**
 * `ci_relay_queue_jobs{queue,state}`, read at scrape time: the backlog of each queue, and
 * `state="failed"` on a `deliver-*` queue is that sink's dead letters, on an event queue the events whose
 * routing failed every attempt. An unreachable Redis leaves the gauge empty for that scrape rather than
 * failing `/metrics`.
 */
export function registerQueueMetrics(
  metrics: RelayMetrics,
  queues: () => readonly Queue[],
  /** Whether Redis is connected: BullMQ would otherwise wait for it, and /metrics hang. */
  connected: () => boolean,
  events?: { redis: RedisClient; queues: readonly CountedEventQueue[] },
): void {
  new Gauge({
    name: 'ci_relay_queue_jobs',
    help: 'Jobs in each queue, by state (failed on deliver-* queues: dead letters)',
    labelNames: ['queue', 'state'],
    registers: [metrics.registry],
    // Read from Redis: every process of `start --processes N` sees the same counts.
    aggregator: 'first',
    async collect() {
      this.reset();
      if (!connected()) return;
      if (events)
        for (const { name, keys } of events.queues) {
          const counts = await eventQueueCounts(events.redis, keys);
          for (const [state, count] of Object.entries(counts)) this.set({ queue: name, state }, count);
        }
      for (const queue of queues()) {
        try {
          const counts = await queue.getJobCounts(...states);
          for (const state of states) this.set({ queue: queue.name, state }, counts[state] ?? 0);
        } catch {
          // Redis is down: /readyz says so; the other metrics are still worth serving.
        }
      }
    },
  });
}

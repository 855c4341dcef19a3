import type { Queue } from 'bullmq';
import { Gauge } from 'prom-client';
import type { RelayMetrics } from './create-metrics';

const states = ['waiting', 'active', 'delayed', 'prioritized', 'failed', 'completed'] as const;

/**
 * `ci_relay_queue_jobs{queue,state}`, read from BullMQ at scrape time: the backlog of each queue, and
 * `state="failed"` on a `deliver-*` queue is that sink's dead letters. An unreachable Redis leaves the
 * gauge empty for that scrape rather than failing `/metrics`.
 */
export function registerQueueMetrics(
  metrics: RelayMetrics,
  queues: () => readonly Queue[],
  /** Whether Redis is connected: BullMQ would otherwise wait for it, and /metrics hang. */
  connected: () => boolean,
): void {
  new Gauge({
    name: 'ci_relay_queue_jobs',
    help: 'Jobs in each queue, by state (failed on deliver-* queues: dead letters)',
    labelNames: ['queue', 'state'],
    registers: [metrics.registry],
    async collect() {
      this.reset();
      if (!connected()) return;
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

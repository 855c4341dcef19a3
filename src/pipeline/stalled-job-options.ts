import type { WorkerOptions } from 'bullmq';

/**
 * Worker options for taking over the jobs of a worker that died mid-job: its lock lapses after
 * `stalledAfterMs` and the stalled-job check hands the job to another worker. A job may stall a
 * few times (a crash loop, a deploy) before BullMQ gives up on it, rather than once.
 */
export function stalledJobOptions(
  stalledAfterMs: number,
): Pick<WorkerOptions, 'lockDuration' | 'stalledInterval' | 'maxStalledCount'> {
  return { lockDuration: stalledAfterMs, stalledInterval: stalledAfterMs, maxStalledCount: 10 };
}

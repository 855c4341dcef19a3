import type { JobsOptions } from 'bullmq';
import { defaultRetry } from './delivery-backoff';

/** Options of a delivery job: its id is the notification id (idempotent add); dead letters stay in the failed set. */
export function deliveryJobOptions(id: string, retry: { attempts?: number } | undefined): JobsOptions {
  return {
    jobId: id,
    attempts: retry?.attempts ?? defaultRetry.attempts,
    backoff: { type: 'sink' },
    removeOnComplete: { age: 7 * 24 * 3600, count: 10_000 },
    removeOnFail: { age: 30 * 24 * 3600 },
  };
}

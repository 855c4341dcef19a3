import type { JobsOptions } from 'bullmq';
import { defaultRetry } from './delivery-backoff';

/**
 * Options of a delivery job: its id is the notification id (idempotent add); dead letters stay in the
 * failed set. A sent job is removed at once: its outcome is in the delivery record (the API's), and
 * keeping 10 000 sent jobs cost Redis a copy of each event and five more commands per delivery. The router
 * reads the delivery record before adding a job again (src/pipeline/create-router-worker.ts).
 */
export function deliveryJobOptions(id: string, retry: { attempts?: number } | undefined): JobsOptions {
  return {
    jobId: id,
    attempts: retry?.attempts ?? defaultRetry.attempts,
    backoff: { type: 'sink' },
    removeOnComplete: true,
    removeOnFail: { age: 30 * 24 * 3600 },
  };
}

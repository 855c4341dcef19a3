import type { JobsOptions } from 'bullmq';
import { defaultRetry } from './delivery-backoff';

/** Where a delivery job starts when its first attempts were made before it was queued (in the router). */
export interface QueuedLater {
  /** Attempts already made; the job makes the rest of the sink's `retry.attempts`. */
  attemptsBefore: number;
  /** Milliseconds before the job's first attempt. */
  delay: number;
}

/**
 * Options of a delivery job: its id is the notification id (idempotent add); dead letters stay in the
 * failed set. A sent job is removed at once: its outcome is in the delivery record (the API's), and
 * keeping 10 000 sent jobs cost Redis a copy of each event and five more commands per delivery. The router
 * reads the delivery record before adding a job again (src/pipeline/create-router-worker.ts).
 */
export function deliveryJobOptions(
  id: string,
  retry: { attempts?: number } | undefined,
  later?: QueuedLater,
): JobsOptions {
  const attempts = retry?.attempts ?? defaultRetry.attempts;
  return {
    jobId: id,
    attempts: Math.max(1, attempts - (later?.attemptsBefore ?? 0)),
    backoff: { type: 'sink' },
    removeOnComplete: true,
    removeOnFail: { age: 30 * 24 * 3600 },
    ...(later && later.delay > 0 && { delay: later.delay }),
  };
}

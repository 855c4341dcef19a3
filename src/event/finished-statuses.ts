import type { CiStatus } from './ci-event-schema';

/** Statuses a run or job ends in: once in one of them, it is over. */
export const finishedStatuses: ReadonlySet<CiStatus> = new Set([
  'success',
  'failure',
  'cancelled',
  'skipped',
  'error',
]);

/** Whether `status` means the run or job is over. */
export function isFinished(status: CiStatus): boolean {
  return finishedStatuses.has(status);
}

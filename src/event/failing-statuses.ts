import type { CiStatus } from './ci-event-schema';

/** Statuses that mean a run or job went wrong: a red build, whether the code or the CI failed. */
export const failingStatuses: ReadonlySet<CiStatus> = new Set(['failure', 'error']);

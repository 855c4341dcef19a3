import type { CiEvent, CiStatus } from './ci-event-schema';

const stage: Record<CiStatus, number> = {
  queued: 0,
  waiting: 1,
  running: 2,
  success: 3,
  failure: 3,
  cancelled: 3,
  skipped: 3,
  error: 3,
};

/** Orders two states of the same run or job: attempt, then stage, then arrival time. */
export function stateRank(event: CiEvent): number {
  return (
    (event.pipeline.attempt ?? 1) * 1e15 + stage[event.status] * 1e14 + Date.parse(event.receivedAt) / 10
  );
}

const numericId = (event: CiEvent): number | undefined => {
  const id = event.job?.id;
  return id !== undefined && /^\d{1,15}$/.test(id) ? Number(id) : undefined;
};

/**
 * Whether job state `a` is newer than `b`, two jobs of one name in one run: a higher attempt (GitHub's
 * re-runs), then a higher job id (GitLab gives a retried job a new, larger id in the same pipeline),
 * then the state rank (stage of life, arrival). Job ids that are not numbers are not compared.
 */
export function isNewerJob(a: CiEvent, b: CiEvent): boolean {
  const attempts = (a.pipeline.attempt ?? 1) - (b.pipeline.attempt ?? 1);
  if (attempts !== 0) return attempts > 0;
  const ia = numericId(a);
  const ib = numericId(b);
  if (ia !== undefined && ib !== undefined && ia !== ib) return ia > ib;
  return stateRank(a) >= stateRank(b);
}

/**
 * One job per name: its newest state (see {@link isNewerJob}). A retried job replaces the earlier one
 * of the same name, so a run's view lists its jobs as they ended.
 */
export function latestJobsByName(jobs: readonly CiEvent[]): CiEvent[] {
  const byName = new Map<string, CiEvent>();
  for (const job of jobs) {
    const name = job.job?.name ?? job.job?.id ?? '';
    const seen = byName.get(name);
    if (seen === undefined || isNewerJob(job, seen)) byName.set(name, job);
  }
  return [...byName.values()];
}

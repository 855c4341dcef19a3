import { failingStatuses } from '../../src/event/failing-statuses';
import type { CiEvent, CiStatus } from '../../src/event/ci-event-schema';
import type { RunSnapshot } from '../../src/contracts/sink';
import { attemptOf } from '../../src/event/attempt-of';
import { isFinished } from '../../src/event/finished-statuses';
import { latestJobsByName } from '../../src/event/latest-jobs';

/** One run as a run message (Slack, Discord) shows it: the latest attempt, its status and its jobs. */
export interface RunView {
  /** The run as a pipeline event: repository, commit, pipeline and people, with the run's status and attempt. */
  run: CiEvent;
  /** The attempt shown; jobs of older attempts are hidden once a newer one exists. */
  attempt: number;
  /**
   * Jobs as they ended, oldest first: those of {@link attempt}, and jobs of older attempts that passed
   * (or were skipped) and have not run again (GitHub's "re-run failed jobs" only re-runs some).
   */
  jobs: CiEvent[];
}

/** Whether a status means something broke (`failure` or `error`). */
export function isFailing(status: CiStatus): boolean {
  return failingStatuses.has(status);
}

const timeOf = (event: CiEvent) =>
  Date.parse(event.startedAt ?? event.createdAt ?? event.receivedAt) || Date.parse(event.receivedAt) || 0;

/** A run's status from its jobs when no pipeline event of the attempt has arrived yet. */
function statusFromJobs(jobs: readonly CiEvent[]): CiStatus {
  if (jobs.length === 0 || jobs.some((j) => !isFinished(j.status))) return 'running';
  if (jobs.some((j) => j.status === 'error')) return 'error';
  if (jobs.some((j) => j.status === 'failure')) return 'failure';
  if (jobs.some((j) => j.status === 'cancelled')) return 'cancelled';
  if (jobs.every((j) => j.status === 'skipped')) return 'skipped';
  return 'success';
}

/**
 * The run of `event` as its message should show it, from the router's snapshot (undefined, or empty once
 * expired: from `event` alone). `event` counts too when the snapshot does not hold its pipeline or job yet.
 */
export function runView(snapshot: RunSnapshot | undefined, event: CiEvent): RunView {
  let pipeline = snapshot?.pipeline;
  if (event.kind === 'pipeline' && pipeline === undefined) pipeline = event;
  const jobs = latestJobsByName([
    ...(snapshot?.jobs ?? []),
    ...(event.kind === 'job' && !snapshot?.jobs.some((j) => j.job?.id === event.job?.id) ? [event] : []),
  ]);

  const attempt = Math.max(
    attemptOf(event),
    pipeline ? attemptOf(pipeline) : 1,
    ...jobs.map((j) => attemptOf(j)),
  );
  // The snapshot holds one job per name (its latest state). A job that failed or was cancelled in an
  // older attempt is being re-run in this one (GitHub re-runs those with "re-run failed jobs", and all
  // of them otherwise), so only the ones that passed carry over.
  const current = jobs
    .filter((j) => attemptOf(j) === attempt || j.status === 'success' || j.status === 'skipped')
    .sort((a, b) => timeOf(a) - timeOf(b) || (a.job?.name ?? '').localeCompare(b.job?.name ?? ''));

  // Job events carry less (GitHub's have no run number, commit message or author): the pipeline
  // event describes the run best, even one of an older attempt; else the latest job.
  const latestJob = [...jobs].sort((a, b) => Date.parse(b.receivedAt) - Date.parse(a.receivedAt))[0];
  const base = pipeline ?? latestJob ?? event;
  const currentPipeline = pipeline !== undefined && attemptOf(pipeline) === attempt ? pipeline : undefined;
  const pipelineIsCurrent = currentPipeline !== undefined;
  const status = currentPipeline?.status ?? statusFromJobs(current);
  const run: CiEvent = {
    ...base,
    kind: 'pipeline',
    status,
    providerStatus: currentPipeline?.providerStatus ?? status,
    pipeline: { ...base.pipeline, attempt },
  };
  delete run.job;
  if (!pipelineIsCurrent) {
    // Timing and transition of another attempt (or of a job) would be wrong for this one.
    delete run.durationMs;
    delete run.finishedAt;
    delete run.transition;
    delete run.flaky;
    if (base.kind === 'job') delete run.startedAt;
  }
  return { run, attempt, jobs: current };
}

import type { CiEvent, CiStatus } from '../event/ci-event-schema';

/** The windows insights are computed over, and the width of one chart bucket in each. */
export const insightWindows = {
  '24h': { ms: 24 * 3_600_000, bucketMs: 3_600_000 },
  '7d': { ms: 7 * 24 * 3_600_000, bucketMs: 6 * 3_600_000 },
} as const;
/** One of {@link insightWindows}. */
export type InsightWindow = keyof typeof insightWindows;

/** Most events one insights request reads; past it the answer says `truncated`. */
export const insightEventBudget = 20_000;

/** p50 and p95 of a set of durations, in milliseconds; null when there were none. */
export interface Percentiles {
  p50: number;
  p95: number;
  count: number;
}

/** A job name and how often it failed in the window. */
export interface FailingJob {
  name: string;
  failures: number;
  /** Finished runs of the job. */
  runs: number;
}

/** The figures of one (provider, repository, pipeline), or of all of them together. */
export interface InsightFigures {
  /** Finished runs (pipeline events: success, failure, error, cancelled), one per run id and attempt. */
  runs: number;
  succeeded: number;
  /** failure or error */
  failed: number;
  cancelled: number;
  /** succeeded / (succeeded + failed); null with neither. */
  successRate: number | null;
  /** Duration of finished runs. */
  durationMs: Percentiles | null;
  /** Queue time of jobs: startedAt - createdAt, how long they waited for a runner. */
  queueMs: Percentiles | null;
  /** Up to 5 job names with the most failures. */
  failingJobs: FailingJob[];
}

/** One (provider, repository, pipeline) of the answer. */
export interface InsightGroup extends InsightFigures {
  provider: string;
  repository: string;
  pipeline: string;
}

/** Per chart bucket, for all groups together: `start[i]` is where bucket i begins. */
export interface InsightSeries {
  bucketMs: number;
  start: string[];
  runs: number[];
  failed: number[];
  p50DurationMs: Array<number | null>;
  p95DurationMs: Array<number | null>;
  p50QueueMs: Array<number | null>;
}

/** What `GET /v1/insights` answers. */
export interface Insights {
  window: InsightWindow;
  since: string;
  until: string;
  /** Events read. */
  events: number;
  /** True when the budget stopped the reading: the oldest part of the window is missing. */
  truncated: boolean;
  totals: InsightFigures;
  groups: InsightGroup[];
  series: InsightSeries;
}

const finishedRun = new Set<CiStatus>(['success', 'failure', 'error', 'cancelled']);
const failedStatus = new Set<CiStatus>(['failure', 'error']);

/** Nearest-rank percentile of sorted values. */
function percentile(sorted: readonly number[], p: number): number {
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] as number;
}

function percentiles(values: number[]): Percentiles | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p95: percentile(sorted, 95), count: sorted.length };
}

/** How long a finished run or job took: durationMs, else finishedAt - startedAt. */
export function durationOf(event: CiEvent): number | undefined {
  if (event.durationMs !== undefined) return event.durationMs;
  if (event.startedAt && event.finishedAt) {
    const ms = Date.parse(event.finishedAt) - Date.parse(event.startedAt);
    return ms >= 0 ? ms : undefined;
  }
  return undefined;
}

/** How long a job waited for a runner: startedAt - createdAt, when the event carries both. */
export function queueTimeOf(event: CiEvent): number | undefined {
  if (!event.createdAt || !event.startedAt) return undefined;
  const ms = Date.parse(event.startedAt) - Date.parse(event.createdAt);
  return ms >= 0 ? ms : undefined;
}

interface Accumulator {
  runs: number;
  succeeded: number;
  failed: number;
  cancelled: number;
  durations: number[];
  queues: number[];
  jobs: Map<string, FailingJob>;
}

const emptyAccumulator = (): Accumulator => ({
  runs: 0,
  succeeded: 0,
  failed: 0,
  cancelled: 0,
  durations: [],
  queues: [],
  jobs: new Map(),
});

function figures(acc: Accumulator): InsightFigures {
  const rated = acc.succeeded + acc.failed;
  return {
    runs: acc.runs,
    succeeded: acc.succeeded,
    failed: acc.failed,
    cancelled: acc.cancelled,
    successRate: rated === 0 ? null : acc.succeeded / rated,
    durationMs: percentiles(acc.durations),
    queueMs: percentiles(acc.queues),
    failingJobs: [...acc.jobs.values()]
      .filter((j) => j.failures > 0)
      .sort((a, b) => b.failures - a.failures || a.name.localeCompare(b.name))
      .slice(0, 5),
  };
}

/** Adds events one at a time (newest first), so a caller need not hold them all. */
export interface InsightsCounter {
  add(event: CiEvent): void;
  /** The figures of what was added; `truncated` when the caller stopped before the window's start. */
  result(truncated?: boolean): Insights;
}

/**
 * CI figures from stored events, in one pass: each run (pipeline id and attempt) and each job
 * (job id and attempt) counts once, by the first event seen of it that says what is asked (events
 * come newest first, so its latest state). Pure: the caller reads the events and passes the clock.
 */
export function createInsightsCounter(options: { window: InsightWindow; now: number }): InsightsCounter {
  const { ms, bucketMs } = insightWindows[options.window];
  const until = options.now;
  const since = until - ms;
  const bucketCount = Math.ceil(ms / bucketMs);
  const firstBucket = Math.floor(since / bucketMs) * bucketMs;
  const buckets = Array.from({ length: bucketCount + 1 }, () => ({
    runs: 0,
    failed: 0,
    durations: [] as number[],
    queues: [] as number[],
  }));
  const bucketOf = (event: CiEvent) => {
    const at = Date.parse(event.receivedAt);
    const i = Math.floor((at - firstBucket) / bucketMs);
    return buckets[Math.min(buckets.length - 1, Math.max(0, i))] as (typeof buckets)[number];
  };
  const groups = new Map<string, { key: Omit<InsightGroup, keyof InsightFigures>; acc: Accumulator }>();
  const total = emptyAccumulator();
  const seenRuns = new Set<string>();
  const seenJobs = new Set<string>();
  const seenQueued = new Set<string>();
  let count = 0;

  const add = (event: CiEvent): void => {
    count++;
    const at = Date.parse(event.receivedAt);
    if (at < since || at > until) return;
    const groupKey = JSON.stringify([event.provider, event.repository.name, event.pipeline.name]);
    let group = groups.get(groupKey);
    if (!group) {
      group = {
        key: { provider: event.provider, repository: event.repository.name, pipeline: event.pipeline.name },
        acc: emptyAccumulator(),
      };
      groups.set(groupKey, group);
    }
    const accs = [group.acc, total];
    const attempt = event.pipeline.attempt ?? 1;
    const runKey = `${groupKey}\u0000${event.pipeline.id}\u0000${attempt}`;

    if (event.kind === 'pipeline') {
      if (!finishedRun.has(event.status) || seenRuns.has(runKey)) return;
      seenRuns.add(runKey);
      const bucket = bucketOf(event);
      const duration = durationOf(event);
      bucket.runs++;
      if (failedStatus.has(event.status)) bucket.failed++;
      if (duration !== undefined && event.status !== 'cancelled') bucket.durations.push(duration);
      for (const acc of accs) {
        acc.runs++;
        if (event.status === 'success') acc.succeeded++;
        else if (event.status === 'cancelled') acc.cancelled++;
        else acc.failed++;
        if (duration !== undefined && event.status !== 'cancelled') acc.durations.push(duration);
      }
      return;
    }

    const job = event.job;
    if (!job) return;
    const jobKey = `${runKey}\u0000${job.id}`;
    const queue = queueTimeOf(event);
    if (queue !== undefined && !seenQueued.has(jobKey)) {
      seenQueued.add(jobKey);
      bucketOf(event).queues.push(queue);
      for (const acc of accs) acc.queues.push(queue);
    }
    if (!finishedRun.has(event.status) || event.status === 'cancelled' || seenJobs.has(jobKey)) return;
    seenJobs.add(jobKey);
    for (const acc of accs) {
      const entry = acc.jobs.get(job.name) ?? { name: job.name, failures: 0, runs: 0 };
      entry.runs++;
      if (failedStatus.has(event.status)) entry.failures++;
      acc.jobs.set(job.name, entry);
    }
  };

  const result = (truncated = false): Insights => {
    const series: InsightSeries = {
      bucketMs,
      start: [],
      runs: [],
      failed: [],
      p50DurationMs: [],
      p95DurationMs: [],
      p50QueueMs: [],
    };
    buckets.forEach((b, i) => {
      const duration = percentiles(b.durations);
      series.start.push(new Date(firstBucket + i * bucketMs).toISOString());
      series.runs.push(b.runs);
      series.failed.push(b.failed);
      series.p50DurationMs.push(duration?.p50 ?? null);
      series.p95DurationMs.push(duration?.p95 ?? null);
      series.p50QueueMs.push(percentiles(b.queues)?.p50 ?? null);
    });

    return {
      window: options.window,
      since: new Date(since).toISOString(),
      until: new Date(until).toISOString(),
      events: count,
      truncated,
      totals: figures(total),
      groups: [...groups.values()]
        .filter(({ acc }) => acc.runs > 0 || acc.queues.length > 0 || acc.jobs.size > 0)
        .map(({ key, acc }) => ({ ...key, ...figures(acc) }))
        .sort((a, b) => b.runs - a.runs || a.repository.localeCompare(b.repository)),
      series,
    };
  };
  return { add, result };
}

/** {@link createInsightsCounter} over a list of events, newest first. */
export function computeInsights(
  events: Iterable<CiEvent>,
  options: { window: InsightWindow; now: number; truncated?: boolean },
): Insights {
  const counter = createInsightsCounter(options);
  for (const event of events) counter.add(event);
  return counter.result(options.truncated);
}

import type { Redis } from 'ioredis';
import picomatch from 'picomatch';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { CiMetricsSettings } from '../config/relay-config';
import type { CiEvent } from '../event/ci-event-schema';
import { isFinished } from '../event/finished-statuses';
import { runKey } from '../event/run-identity';

/** CI metrics from the events themselves: build times, queue times, runs by status, jobs waiting for a runner. */
export interface CiMetrics {
  /** Counts `event` (the router calls it once per event it routes). */
  observe(event: CiEvent): Promise<void>;
}

const durationBuckets = [10, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400];
const queueBuckets = [1, 5, 10, 30, 60, 120, 300, 600, 1800, 3600];

/** The label a set of runner labels is counted under: sorted and joined, so `[b, a]` and `[a, b]` are one. */
export function runnerLabelsValue(labels: readonly string[] | undefined): string {
  return labels && labels.length > 0 ? [...labels].sort().join(',') : '';
}

/**
 * Bounds the label values of repository and pipeline: the repositories the config allows (globs), or
 * the first `maxSeries` (repository, pipeline) pairs seen; the rest count as `other`, so a thousand
 * repositories or branches cannot grow the registry without bound.
 */
export function createLabelCap(settings: () => CiMetricsSettings) {
  const admitted = new Set<string>();
  let allow: ((repository: string) => boolean) | undefined;
  let allowFrom: readonly string[] | undefined;
  return (event: CiEvent): { repository: string; pipeline: string; branch: string } => {
    const { repositories, maxSeries, branch } = settings();
    if (repositories !== allowFrom) {
      allowFrom = repositories;
      allow = repositories ? picomatch([...repositories], { dot: true }) : undefined;
    }
    const branchValue = branch ? (event.branch ?? event.tag ?? '') : '';
    const repository = event.repository.name;
    if (allow && !allow(repository)) return { repository: 'other', pipeline: 'other', branch: branchValue };
    const pair = `${repository}\n${event.pipeline.name}`;
    if (!admitted.has(pair)) {
      if (admitted.size >= maxSeries) return { repository: 'other', pipeline: 'other', branch: branchValue };
      admitted.add(pair);
    }
    return { repository, pipeline: event.pipeline.name, branch: branchValue };
  };
}

/**
 * Registers the CI metrics on `registry`. Histograms and counters count the events this process
 * routes (sum them over instances); `ci_jobs_waiting` is read from Redis, so every instance reports
 * the whole fleet's number (take `max` over instances, not `sum`).
 */
export function createCiMetrics(deps: {
  registry: Registry;
  redis: Redis;
  prefix: string;
  settings: () => CiMetricsSettings;
  now?: () => number;
}): CiMetrics {
  const { registry, redis, prefix, settings, now = Date.now } = deps;
  const registers = [registry];
  const waitingKey = `${prefix}:metrics:jobs-waiting`;
  const cap = createLabelCap(settings);
  const runLabels = ['provider', 'repository', 'pipeline', 'branch'] as const;
  const pipelineDuration = new Histogram({
    name: 'ci_pipeline_duration_seconds',
    help: 'Duration of finished pipelines (runs)',
    labelNames: runLabels,
    buckets: durationBuckets,
    registers,
  });
  const jobDuration = new Histogram({
    name: 'ci_job_duration_seconds',
    help: 'Duration of finished jobs',
    labelNames: runLabels,
    buckets: durationBuckets,
    registers,
  });
  const jobQueue = new Histogram({
    name: 'ci_job_queue_seconds',
    help: 'Time a job waited for a runner: from created to started',
    labelNames: ['provider', 'runner_labels', 'repository', 'pipeline'],
    buckets: queueBuckets,
    registers,
  });
  const pipelineRuns = new Counter({
    name: 'ci_pipeline_runs_total',
    help: 'Finished pipelines (runs), by status',
    labelNames: [...runLabels, 'status'],
    registers,
  });
  new Gauge({
    name: 'ci_jobs_waiting',
    help: 'Jobs queued and not yet started, by runner label set (fleet-wide, from Redis: aggregate with max)',
    labelNames: ['provider', 'runner_labels'],
    registers,
    aggregator: 'max',
    async collect() {
      this.reset();
      if (redis.status !== 'ready') return;
      const cutoff = now() - settings().jobWaitingTimeoutSeconds * 1000;
      // A job that never starts (its start event lost, the run deleted) stops counting after the timeout.
      await redis.zremrangebyscore(waitingKey, '-inf', `(${cutoff}`);
      const counts = new Map<string, number>();
      for (const member of await redis.zrange(waitingKey, 0, -1)) {
        const [provider = '', labels = ''] = member.split('\n');
        const key = `${provider}\n${labels}`;
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
      for (const [key, n] of counts) {
        const [provider = '', labels = ''] = key.split('\n');
        this.set({ provider, runner_labels: labels }, n);
      }
    },
  });

  return {
    async observe(event) {
      const labels = { provider: event.provider, ...cap(event) };
      const finished = isFinished(event.status);
      if (event.kind === 'pipeline') {
        if (!finished) return;
        pipelineRuns.inc({ ...labels, status: event.status });
        if (event.durationMs !== undefined) pipelineDuration.observe(labels, event.durationMs / 1000);
        return;
      }
      if (!event.job) return;
      if (finished && event.durationMs !== undefined) jobDuration.observe(labels, event.durationMs / 1000);
      const runnerLabels = runnerLabelsValue(event.job.runnerLabels);
      const member = `${event.provider}\n${runnerLabels}\n${runKey(event)}\n${event.job.id}`;
      if (event.status === 'queued' || event.status === 'waiting') {
        await redis.zadd(waitingKey, 'NX', now(), member);
        return;
      }
      // Running, or finished (cancelled before it started included): no longer waiting. Each job's
      // queue time is counted once, whichever of its events first says when it started.
      // Two keys in two slots on a cluster: two commands side by side, not a MULTI.
      const [, first] = await Promise.all([
        redis.zrem(waitingKey, member),
        redis.set(`${prefix}:metrics:started:${runKey(event)}:${event.job.id}`, '1', 'EX', 86_400, 'NX'),
      ]);
      if (first === 'OK' && event.startedAt && event.createdAt) {
        const seconds = (Date.parse(event.startedAt) - Date.parse(event.createdAt)) / 1000;
        if (seconds >= 0)
          jobQueue.observe(
            {
              provider: event.provider,
              runner_labels: runnerLabels,
              repository: labels.repository,
              pipeline: labels.pipeline,
            },
            seconds,
          );
      }
    },
  };
}

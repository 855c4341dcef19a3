import { UnrecoverableError, Worker, type ConnectionOptions, type Job, type MinimalJob } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { RelayConfig } from '../config/relay-config';
import type { RelayMetrics } from '../metrics/create-metrics';
import { createSink, sinkDefaultRateLimits, type SinkConfig } from '../../sinks';
import { DeliveryError, RateLimitedError } from '../contracts/delivery-errors';
import type { Notification, Sink, SinkDeps } from '../contracts/sink';
import { defaultRetry, deliveryBackoff, type RetrySettings } from './delivery-backoff';
import { createRunStore } from './create-run-store';
import { deliveryQueueName, isCluster } from '../redis/keyspace';
import { stalledJobOptions } from './stalled-job-options';
import { createSinkHealth } from './sink-health';
import type { Records } from '../store/create-records';
import { deliveryBase, type DeliveryChange } from '../store/create-delivery-store';

/** The number of the attempt a job is on, 1 for the first. */
const attemptOf = (job: Job) => job.attemptsMade + 1;

/** Options of {@link createDeliveryWorkers}. */
export interface DeliveryWorkersOptions {
  connection: ConnectionOptions;
  /** Non-blocking connection handed to sinks for their own state. */
  redis: Redis;
  prefix: string;
  log: Logger;
  metrics: RelayMetrics;
  /** Extra dependencies handed to every sink (tests pass their own fetch or clock). */
  sinkDeps?: Omit<SinkDeps, 'log'>;
  /** Where each delivery's state changes are recorded for the API. */
  records: Pick<Records, 'deliveries'>;
  /** @defaultValue `Date.now` */
  now?: () => number;
  /** @defaultValue 8 */
  concurrency?: number;
}

interface Running {
  json: string;
  sink: Sink;
  worker: Worker<Notification>;
}

/**
 * One BullMQ worker per configured sink, kept in step with the config (`apply` on reload): new sinks
 * start, removed ones stop, changed ones restart. A sink's DeliveryError decides what happens next:
 * permanent errors dead-letter the job at once (UnrecoverableError), retryable ones back off.
 */
export function createDeliveryWorkers(options: DeliveryWorkersOptions) {
  const {
    connection,
    redis,
    prefix,
    log,
    metrics,
    records,
    sinkDeps = {},
    now = Date.now,
    concurrency = 8,
  } = options;
  const runs = createRunStore({ redis, prefix });
  const running = new Map<string, Running>();

  let stalledAfterMs = 30_000;
  const start = (config: SinkConfig): Running => {
    const name = `${config.type}[${config.id}]`;
    const sinkLog = log.child({ sink: name });
    const sink = createSink(config, {
      ...sinkDeps,
      log: sinkLog,
      redis,
      keyPrefix: `${prefix}:sink:${config.id}`,
      runs,
    });
    const retry: RetrySettings = { ...defaultRetry, ...config.retry };
    const rateLimit = config.rateLimit ?? sinkDefaultRateLimits[config.type];
    const health = createSinkHealth(sinkLog, name);
    // The delay BullMQ will wait before each job's next attempt, kept until the failure is recorded.
    const nextDelay = new Map<string, number>();
    const baseOf = (job: Job<Notification>) =>
      deliveryBase(job.data.id, job.data.event, job.data.route, config.id, job.timestamp, job.data.replayOf);
    const record = (job: Job<Notification>, change: DeliveryChange) =>
      records.deliveries
        .update(baseOf(job), change)
        .catch((err: unknown) =>
          sinkLog.warn({ err, notification: job.id }, `[delivery] ${name}: recording the delivery failed`),
        );
    const outcomeLine = (job: Job<Notification>, state: string, extra: Record<string, unknown> = {}) => ({
      notification: job.data.id,
      event: job.data.event.id,
      route: job.data.route,
      state,
      attempt: attemptOf(job),
      ...extra,
    });

    const worker = new Worker<Notification>(
      deliveryQueueName(config.id, isCluster(redis)),
      async (job) => {
        const stop = metrics.deliverySeconds.startTimer({ sink: config.id });
        try {
          const result = await sink.deliver(job.data, { attempt: attemptOf(job) });
          const state = result === 'skipped' ? 'skipped' : 'sent';
          metrics.deliveries.inc({
            sink: config.id,
            outcome: result === 'skipped' ? 'skipped' : 'delivered',
            reason: '',
          });
          health.ok();
          await record(job, {
            state,
            attempt: { at: new Date(now()).toISOString(), outcome: state, attempt: attemptOf(job) },
          });
          sinkLog.info(outcomeLine(job, state), `[delivery] ${name}: ${job.data.id} ${state}`);
        } catch (err) {
          if (err instanceof RateLimitedError && err.requeue && err.retryAfterMs !== undefined) {
            metrics.deliveries.inc({ sink: config.id, outcome: 'requeued', reason: 'rateLimited' });
            sinkLog.warn(
              { retryAfterMs: err.retryAfterMs },
              `[delivery] ${name}: rate limited; pausing the sink`,
            );
            await record(job, {
              state: job.attemptsMade > 0 ? 'retrying' : 'pending',
              attempt: {
                at: new Date(now()).toISOString(),
                outcome: 'rate_limited',
                attempt: attemptOf(job),
                error: err.message,
                reason: err.reason,
              },
              nextAttemptAt: now() + err.retryAfterMs,
            });
            await worker.rateLimit(err.retryAfterMs);
            throw Worker.RateLimitError();
          }
          const reason = err instanceof DeliveryError ? err.reason : 'network';
          const permanent = err instanceof DeliveryError && !err.retryable;
          const last = attemptOf(job) >= (job.opts.attempts ?? 1);
          metrics.deliveries.inc({ sink: config.id, outcome: permanent || last ? 'dead' : 'retry', reason });
          const message = err instanceof Error ? err.message : String(err);
          health.failed(message);
          if (permanent) throw new UnrecoverableError(message);
          throw err;
        } finally {
          stop();
        }
      },
      {
        connection,
        prefix,
        concurrency,
        ...stalledJobOptions(stalledAfterMs),
        ...(rateLimit && { limiter: { max: rateLimit.max, duration: rateLimit.perMs } }),
        settings: {
          backoffStrategy: (attemptsMade: number, _type?: string, err?: Error, job?: MinimalJob) => {
            const delay = deliveryBackoff(attemptsMade, err, retry);
            if (job?.id) nextDelay.set(job.id, delay);
            return delay;
          },
        },
      },
    );
    worker.on('failed', (job, err) => {
      if (!job) return;
      const dead = err instanceof UnrecoverableError || job.attemptsMade >= (job.opts.attempts ?? 1);
      const delay = job.id ? nextDelay.get(job.id) : undefined;
      if (job.id) nextDelay.delete(job.id);
      const at = now();
      const reason = (err as { reason?: string }).reason;
      void record(job, {
        state: dead ? 'failed' : 'retrying',
        attempt: {
          at: new Date(at).toISOString(),
          outcome: dead ? 'failed' : 'retry',
          attempt: job.attemptsMade,
          error: err.message,
          ...(reason !== undefined && { reason }),
        },
        error: err.message,
        ...(!dead && delay !== undefined && { nextAttemptAt: at + delay }),
      });
      if (dead)
        sinkLog.error(
          outcomeLine(job, 'failed', { err: err.message }),
          `[delivery] ${name}: ${job.data.id} dead-lettered: ${err.message}`,
        );
      else
        sinkLog.debug(
          outcomeLine(job, 'retrying', {
            err: err.message,
            nextAttemptAt: delay === undefined ? undefined : new Date(at + delay).toISOString(),
          }),
          `[delivery] ${name}: ${job.data.id} attempt failed, will retry`,
        );
    });
    worker.on('error', (err) => sinkLog.error({ err }, `[delivery] ${name}: worker error`));
    return { json: JSON.stringify(config), sink, worker };
  };

  const stop = async (id: string) => {
    const r = running.get(id);
    if (!r) return;
    running.delete(id);
    await r.worker.close();
    await r.sink.close?.();
  };

  return {
    /** Starts, restarts and stops workers so that they match `config.sinks`. */
    async apply(config: RelayConfig): Promise<void> {
      stalledAfterMs = config.stalledAfterMs;
      for (const id of [...running.keys()]) {
        const next = config.sinks.get(id);
        if (!next || JSON.stringify(next) !== running.get(id)?.json) await stop(id);
      }
      for (const [id, sinkConfig] of config.sinks) {
        if (!running.has(id)) running.set(id, start(sinkConfig));
      }
    },
    /** Stops every worker, letting in-flight deliveries finish. */
    async close(): Promise<void> {
      await Promise.all([...running.keys()].map(stop));
    },
  };
}

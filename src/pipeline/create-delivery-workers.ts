import { UnrecoverableError, Worker, type ConnectionOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { RelayConfig } from '../config/relay-config';
import type { RelayMetrics } from '../metrics/create-metrics';
import { createSink, sinkDefaultRateLimits, type SinkConfig } from '../../sinks';
import { DeliveryError, RateLimitedError } from '../contracts/delivery-errors';
import type { Notification, Sink, SinkDeps } from '../contracts/sink';
import { defaultRetry, deliveryBackoff, type RetrySettings } from './delivery-backoff';
import { createRunStore } from './create-run-store';
import { deliveryQueueName } from './queue-names';
import { stalledJobOptions } from './stalled-job-options';

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
  const { connection, redis, prefix, log, metrics, sinkDeps = {}, concurrency = 8 } = options;
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
    const worker = new Worker<Notification>(
      deliveryQueueName(config.id),
      async (job) => {
        const stop = metrics.deliverySeconds.startTimer({ sink: config.id });
        try {
          const result = await sink.deliver(job.data, { attempt: job.attemptsMade + 1 });
          metrics.deliveries.inc({
            sink: config.id,
            outcome: result === 'skipped' ? 'skipped' : 'delivered',
            reason: '',
          });
        } catch (err) {
          if (err instanceof RateLimitedError && err.requeue && err.retryAfterMs !== undefined) {
            metrics.deliveries.inc({ sink: config.id, outcome: 'requeued', reason: 'rateLimited' });
            sinkLog.warn(
              { retryAfterMs: err.retryAfterMs },
              `[delivery] ${name}: rate limited; pausing the sink`,
            );
            await worker.rateLimit(err.retryAfterMs);
            throw Worker.RateLimitError();
          }
          const reason = err instanceof DeliveryError ? err.reason : 'network';
          const permanent = err instanceof DeliveryError && !err.retryable;
          const last = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
          metrics.deliveries.inc({ sink: config.id, outcome: permanent || last ? 'dead' : 'retry', reason });
          const message = err instanceof Error ? err.message : String(err);
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
          backoffStrategy: (attemptsMade: number, _type?: string, err?: Error) =>
            deliveryBackoff(attemptsMade, err, retry),
        },
      },
    );
    worker.on('failed', (job, err) => {
      if (!job) return;
      const dead = err instanceof UnrecoverableError || job.attemptsMade >= (job.opts.attempts ?? 1);
      const entry = {
        notification: job.id,
        route: job.data.route,
        event: job.data.event.id,
        attempt: job.attemptsMade,
        err: err.message,
      };
      if (dead) sinkLog.error(entry, `[delivery] ${name}: dead-lettered`);
      else sinkLog.warn(entry, `[delivery] ${name}: attempt failed, will retry`);
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

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
import type { DeliveryBase } from '../store/delivery-record';
import { notificationOf, type DeliveryJobData, type DeliveryQueues } from './delivery-queues';

/** The number of the attempt a job is on, 1 for the first (counting attempts made before it was queued). */
const attemptOf = (job: Job<DeliveryJobData>) => job.attemptsMade + 1 + (job.data.attemptsBefore ?? 0);

/** A sink's answer that asks for the notification to wait and come again, not counted as an attempt. */
const isRequeue = (err: unknown): err is RateLimitedError & { retryAfterMs: number } =>
  err instanceof RateLimitedError && err.requeue && err.retryAfterMs !== undefined;

/** An attempt that took longer than this sends the sink's next notifications through its queue, until one is quick. */
const slowAttemptMs = 1_000;
/** First attempts one sink may have under way in the router at once; more are queued. */
const sendNowLimit = 4;

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
  /** Where a notification whose first attempt ({@link DeliveryWorkers.sendNow}) failed is queued for its retries. */
  queues: Pick<DeliveryQueues, 'add' | 'addDead'>;
  /** @defaultValue `Date.now` */
  now?: () => number;
  /** @defaultValue 8 */
  concurrency?: number;
}

/** The delivery workers of every configured sink. */
export interface DeliveryWorkers {
  /** Starts, restarts and stops workers so that they match `config.sinks`. */
  apply(config: RelayConfig): Promise<void>;
  /**
   * Makes a notification's first attempt here and now, when its sink can take it: the sink runs in
   * this process, has no rate limit of its own, is not paused by a 429, delivered its last attempt,
   * answered it within a second, and has fewer than 4 such attempts under way. A slow or failing sink
   * so holds up the router (which waits for these attempts before acknowledging an event) for one
   * attempt, not for every notification. Resolves true once the notification is sent, skipped, dead (a permanent error) or queued
   * for its retries, each recorded; false when the sink cannot take it now, and the caller queues it.
   * The caller must have claimed the notification and found it still to send: an attempt cut short
   * by a crash is made again when the event is routed again, with the same notification id.
   */
  sendNow(notification: Notification, base: DeliveryBase): Promise<boolean>;
  /**
   * Stops every worker, letting in-flight deliveries finish. `force`: without waiting for them, and
   * dropping the workers' connections (Redis is down: nothing could be recorded, and BullMQ's graceful
   * close would wait for it for ever). Their jobs stay active in Redis and come back as stalled.
   */
  close(force?: boolean): Promise<void>;
}

interface Running {
  json: string;
  sink: Sink;
  worker: Worker<DeliveryJobData>;
  sendNow(notification: Notification, base: DeliveryBase): Promise<boolean>;
  /** First attempts under way, waited for before the sink is closed. */
  inFlight: Set<Promise<unknown>>;
}

/**
 * One BullMQ worker per configured sink, kept in step with the config (`apply` on reload): new sinks
 * start, removed ones stop, changed ones restart. A sink's DeliveryError decides what happens next:
 * permanent errors dead-letter the job at once (UnrecoverableError), retryable ones back off.
 *
 * Most notifications never see the queue: the router hands each to {@link DeliveryWorkers.sendNow},
 * which makes the first attempt in the router's own process, and only a failed attempt (or a sink
 * that is failing, rate limited or throttled) goes through BullMQ. That saves each delivery a queue
 * hop: a worker wake-up and about 40 Redis commands (the add, the fetch and the finish).
 */
export function createDeliveryWorkers(options: DeliveryWorkersOptions): DeliveryWorkers {
  const {
    connection,
    redis,
    prefix,
    log,
    metrics,
    records,
    queues,
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
    // Until when a 429 paused the sink (its queue is paused for as long): no attempts made here meanwhile.
    let pausedUntil = 0;
    // Whether the sink's last attempt took over slowAttemptMs.
    let slow = false;
    const inFlight = new Set<Promise<unknown>>();
    // The delay BullMQ will wait before each job's next attempt, kept until the failure is recorded.
    const nextDelay = new Map<string, number>();
    const baseOf = (job: Job<DeliveryJobData>) =>
      deliveryBase(job.data.id, job.data.event, job.data.route, config.id, job.timestamp, job.data.replayOf);
    const record = (base: DeliveryBase, change: DeliveryChange) =>
      records.deliveries
        .update(base, change)
        .catch((err: unknown) =>
          sinkLog.warn({ err, notification: base.id }, `[delivery] ${name}: recording the delivery failed`),
        );
    const outcomeLine = (
      notification: Notification,
      attempt: number,
      state: string,
      extra: Record<string, unknown> = {},
    ) => ({
      notification: notification.id,
      event: notification.event.id,
      route: notification.route,
      state,
      attempt,
      ...extra,
    });
    const deadLine = (notification: Notification, attempt: number, message: string) =>
      sinkLog.error(
        outcomeLine(notification, attempt, 'failed', { err: message }),
        `[delivery] ${name}: ${notification.id} dead-lettered: ${message}`,
      );

    /**
     * Records and logs a failed attempt, in the worker or in the router: `dead` when it was the last (or
     * permanent), else retried after `delay` ms when that is known.
     */
    const recordFailure = (
      notification: Notification,
      base: DeliveryBase,
      attempt: number,
      err: unknown,
      dead: boolean,
      delay?: number,
    ) => {
      const at = now();
      const message = err instanceof Error ? err.message : String(err);
      const reason = (err as { reason?: string } | null)?.reason;
      const recorded = record(base, {
        state: dead ? 'failed' : 'retrying',
        attempt: {
          at: new Date(at).toISOString(),
          outcome: dead ? 'failed' : 'retry',
          attempt,
          error: message,
          ...(reason !== undefined && { reason }),
        },
        error: message,
        ...(!dead && delay !== undefined && { nextAttemptAt: at + delay }),
      });
      if (dead) deadLine(notification, attempt, message);
      else
        sinkLog.debug(
          outcomeLine(notification, attempt, 'retrying', {
            err: message,
            nextAttemptAt: delay === undefined ? undefined : new Date(at + delay).toISOString(),
          }),
          `[delivery] ${name}: ${notification.id} attempt failed, will retry`,
        );
      return recorded;
    };

    /**
     * One attempt, wherever it runs: delivered (or skipped) is counted and recorded here; a requeue
     * (429 with Retry-After) is recorded and pauses the sink; any other failure is counted and thrown,
     * as UnrecoverableError when it is permanent, for the caller to record with its retry plan.
     */
    const attemptOnce = async (
      notification: Notification,
      attempt: number,
      base: DeliveryBase,
      last: boolean,
    ): Promise<void> => {
      const stop = metrics.deliverySeconds.startTimer({ sink: config.id });
      const startedAt = performance.now();
      try {
        const result = await sink.deliver(notification, { attempt });
        const state = result === 'skipped' ? 'skipped' : 'sent';
        metrics.deliveries.inc({
          sink: config.id,
          outcome: result === 'skipped' ? 'skipped' : 'delivered',
          reason: '',
        });
        health.ok();
        await record(base, {
          state,
          attempt: { at: new Date(now()).toISOString(), outcome: state, attempt },
        });
        sinkLog.info(
          outcomeLine(notification, attempt, state),
          `[delivery] ${name}: ${notification.id} ${state}`,
        );
      } catch (err) {
        if (isRequeue(err)) {
          metrics.deliveries.inc({ sink: config.id, outcome: 'requeued', reason: 'rateLimited' });
          sinkLog.warn(
            { retryAfterMs: err.retryAfterMs },
            `[delivery] ${name}: rate limited; pausing the sink`,
          );
          pausedUntil = now() + err.retryAfterMs;
          await record(base, {
            state: attempt > 1 ? 'retrying' : 'pending',
            attempt: {
              at: new Date(now()).toISOString(),
              outcome: 'rate_limited',
              attempt,
              error: err.message,
              reason: err.reason,
            },
            nextAttemptAt: pausedUntil,
          });
          await worker.rateLimit(err.retryAfterMs);
          throw err;
        }
        const reason = err instanceof DeliveryError ? err.reason : 'network';
        const permanent = err instanceof DeliveryError && !err.retryable;
        metrics.deliveries.inc({ sink: config.id, outcome: permanent || last ? 'dead' : 'retry', reason });
        const message = err instanceof Error ? err.message : String(err);
        health.failed(message);
        if (permanent) throw new UnrecoverableError(message);
        throw err;
      } finally {
        stop();
        slow = performance.now() - startedAt > slowAttemptMs;
      }
    };

    const worker = new Worker<DeliveryJobData>(
      deliveryQueueName(config.id, isCluster(redis)),
      async (job) => {
        // Dead before it was queued (recorded, counted and logged then): straight to the failed set.
        if (job.data.deadLetter !== undefined) throw new UnrecoverableError(job.data.deadLetter);
        const attempt = attemptOf(job);
        try {
          await attemptOnce(
            notificationOf(job.data),
            attempt,
            baseOf(job),
            job.attemptsMade + 1 >= (job.opts.attempts ?? 1),
          );
        } catch (err) {
          if (isRequeue(err)) throw Worker.RateLimitError();
          throw err;
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
            const before = (job?.data as DeliveryJobData | undefined)?.attemptsBefore ?? 0;
            const delay = deliveryBackoff(attemptsMade + before, err, retry);
            if (job?.id) nextDelay.set(job.id, delay);
            return delay;
          },
        },
      },
    );
    worker.on('failed', (job, err) => {
      if (!job || job.data.deadLetter !== undefined) return;
      const dead = err instanceof UnrecoverableError || job.attemptsMade >= (job.opts.attempts ?? 1);
      const delay = job.id ? nextDelay.get(job.id) : undefined;
      if (job.id) nextDelay.delete(job.id);
      // attemptsMade counts the failed attempt by now.
      void recordFailure(job.data, baseOf(job), attemptOf(job) - 1, err, dead, delay);
    });
    worker.on('error', (err) => sinkLog.error({ err }, `[delivery] ${name}: worker error`));

    const sendNow = async (notification: Notification, base: DeliveryBase): Promise<boolean> => {
      if (
        rateLimit !== undefined ||
        health.failing ||
        slow ||
        inFlight.size >= sendNowLimit ||
        now() < pausedUntil ||
        worker.closing
      )
        return false;
      const attempt = firstAttempt(notification, base);
      inFlight.add(attempt);
      try {
        return await attempt;
      } finally {
        inFlight.delete(attempt);
      }
    };
    const firstAttempt = async (notification: Notification, base: DeliveryBase): Promise<boolean> => {
      try {
        await attemptOnce(notification, 1, base, retry.attempts <= 1);
        return true;
      } catch (err) {
        if (isRequeue(err)) {
          await queues.add(config, notification, { attemptsBefore: 0, delay: err.retryAfterMs });
          return true;
        }
        if (err instanceof UnrecoverableError || retry.attempts <= 1) {
          await queues.addDead(config, notification, 1, err instanceof Error ? err.message : String(err));
          await recordFailure(notification, base, 1, err, true);
          return true;
        }
        const delay = deliveryBackoff(1, err, retry);
        // Queued before it is recorded: a crash in between leaves a job to send, never a record waiting on none.
        await queues.add(config, notification, { attemptsBefore: 1, delay });
        await recordFailure(notification, base, 1, err, false, delay);
        return true;
      }
    };
    return { json: JSON.stringify(config), sink, worker, sendNow, inFlight };
  };

  const stop = async (id: string, force = false) => {
    const r = running.get(id);
    if (!r) return;
    running.delete(id);
    await r.worker.close(force);
    await Promise.allSettled(r.inFlight);
    await r.sink.close?.();
  };

  return {
    async apply(config) {
      stalledAfterMs = config.stalledAfterMs;
      for (const id of [...running.keys()]) {
        const next = config.sinks.get(id);
        if (!next || JSON.stringify(next) !== running.get(id)?.json) await stop(id);
      }
      for (const [id, sinkConfig] of config.sinks) {
        if (!running.has(id)) running.set(id, start(sinkConfig));
      }
    },
    async sendNow(notification, base) {
      const r = running.get(base.sink);
      return r ? r.sendNow(notification, base) : false;
    },
    async close(force = false) {
      await Promise.all([...running.keys()].map((id) => stop(id, force)));
    },
  };
}

import { Worker, type ConnectionOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { ConfigStore } from '../config/config-store';
import type { CiEvent } from '../event/ci-event-schema';
import type { RelayMetrics } from '../metrics/create-metrics';
import { matchRoutes } from '../routing/match-routes';
import type { Notification } from '../../sinks/sink';
import { notificationId, notifiedKey } from './notification-keys';
import { createDeliveryQueues } from './delivery-queues';
import { eventQueueNames, isCluster } from '../redis/keyspace';
import { createRunStateRecorder } from './record-run-state';
import { createRunStore } from './create-run-store';
import { stalledJobOptions } from './stalled-job-options';
import type { Records } from '../store/create-records';
import { deliveryBase } from '../store/create-delivery-store';

/** Options of {@link createRouterWorker}. */
export interface RouterWorkerOptions {
  connection: ConnectionOptions;
  /** Non-blocking connection for the router's own keys and for adding delivery jobs. */
  redis: Redis;
  prefix: string;
  configStore: ConfigStore;
  log: Logger;
  metrics: RelayMetrics;
  /** Where events, deliveries and run board lines are recorded for the API. */
  records: Pick<Records, 'events' | 'deliveries' | 'board'>;
  /** @defaultValue `Date.now` */
  now?: () => number;
  /** @defaultValue 16 */
  concurrency?: number;
  /** The event queues (partitions) to consume, each with its own worker. @defaultValue `['events']` */
  queueNames?: readonly string[];
}

/**
 * Consumes events: records run history (transition), matches routes, and adds one delivery job per
 * (route, sink) to that sink's queue. Job ids are derived from the event, so a retried routing job adds
 * nothing twice; an identical notification already sent within the dedup window is dropped.
 */
export function createRouterWorker(options: RouterWorkerOptions): {
  worker: Worker;
  workers: Worker[];
  close(): Promise<void>;
} {
  const {
    connection,
    redis,
    prefix,
    configStore,
    log,
    metrics,
    records,
    now = Date.now,
    concurrency = 16,
    queueNames = [eventQueueNames(1, isCluster(redis))[0] as string],
  } = options;
  const recordRunState = createRunStateRecorder({ redis, prefix });
  const runs = createRunStore({ redis, prefix });
  const queues = createDeliveryQueues({ redis, prefix });

  const route = async (received: CiEvent) => {
    const config = configStore.current();
    const transition = await recordRunState(received);
    const event: CiEvent = transition === undefined ? received : { ...received, transition };
    const [runVersion] = await Promise.all([
      runs.record(event),
      records.events.record(event),
      records.board.apply(event),
    ]);
    const matched = matchRoutes(config.routes, event);
    const createdAt = now();
    let queued = 0;
    for (const r of matched) {
      for (const sinkId of r.sinks) {
        const sink = config.sinks.get(sinkId);
        if (!sink) continue;
        const id = notificationId(event, r.name, sinkId);
        const contentKey = notifiedKey(prefix, event, r.name, sinkId);
        // First writer wins; the same notification (a retried routing job) still goes through.
        const claimed = await redis.set(contentKey, id, 'EX', config.notificationTtlSeconds, 'NX');
        const base = deliveryBase(id, event, r.name, sinkId, createdAt);
        if (claimed === null) {
          const first = await redis.get(contentKey);
          if (first !== id) {
            const error = `an identical notification (${first ?? 'expired'}) was already sent for this run state`;
            log.debug(
              { event: event.id, route: r.name, sink: sinkId, notification: id },
              `[router] ${error}`,
            );
            await records.deliveries.create(base, {
              state: 'skipped',
              attempt: { at: new Date(createdAt).toISOString(), outcome: 'duplicate', error },
            });
            continue;
          }
        }
        await records.deliveries.create(base, { state: 'pending' });
        const options = r.options[sinkId];
        const notification: Notification = {
          id,
          route: r.name,
          event,
          runVersion,
          ...(options && { options }),
        };
        await queues.add(sink, notification);
        queued++;
      }
    }
    metrics.routed.inc({ outcome: queued === 0 ? 'unrouted' : 'routed' });
    log.info(
      { event: event.id, routes: matched.map((m) => m.name), queued, transition: event.transition },
      `[router] ${event.id}: ${queued} notification${queued === 1 ? '' : 's'}`,
    );
  };

  const workers = queueNames.map((name) => {
    const worker = new Worker<CiEvent>(name, async (job) => route(job.data), {
      connection,
      prefix,
      concurrency,
      ...stalledJobOptions(configStore.current().stalledAfterMs),
    });
    worker.on('failed', (job, err) => log.error({ err, event: job?.id }, '[router] routing failed'));
    worker.on('error', (err) => log.error({ err }, '[router] worker error'));
    return worker;
  });
  return {
    worker: workers[0] as Worker,
    workers,
    close: async () => {
      await Promise.all(workers.map((w) => w.close()));
      await queues.close();
    },
  };
}

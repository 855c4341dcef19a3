import { Queue, Worker, type ConnectionOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { ConfigStore } from '../config/config-store';
import type { CiEvent } from '../event/ci-event-schema';
import type { RelayMetrics } from '../metrics/create-metrics';
import { matchRoutes } from '../routing/match-routes';
import type { Notification } from '../contracts/sink';
import { notificationContentKey, notificationId } from './notification-keys';
import { deliveryQueueName, eventQueueName } from './queue-names';
import { createRunStateRecorder } from './record-run-state';
import { createRunStore } from './create-run-store';
import { deliveryJobOptions } from './delivery-job-options';
import { stalledJobOptions } from './stalled-job-options';

/** Options of {@link createRouterWorker}. */
export interface RouterWorkerOptions {
  connection: ConnectionOptions;
  /** Non-blocking connection for the router's own keys and for adding delivery jobs. */
  redis: Redis;
  prefix: string;
  configStore: ConfigStore;
  log: Logger;
  metrics: RelayMetrics;
  /** @defaultValue 16 */
  concurrency?: number;
}

/**
 * Consumes events: records run history (transition), matches routes, and adds one delivery job per
 * (route, sink) to that sink's queue. Job ids are derived from the event, so a retried routing job adds
 * nothing twice; an identical notification already sent within the dedup window is dropped.
 */
export function createRouterWorker(options: RouterWorkerOptions): { worker: Worker; close(): Promise<void> } {
  const { connection, redis, prefix, configStore, log, metrics, concurrency = 16 } = options;
  const recordRunState = createRunStateRecorder({ redis, prefix });
  const runs = createRunStore({ redis, prefix });
  const queues = new Map<string, Queue>();
  const queueFor = (sinkId: string) => {
    let queue = queues.get(sinkId);
    if (!queue) {
      queue = new Queue(deliveryQueueName(sinkId), { connection: redis, prefix });
      queues.set(sinkId, queue);
    }
    return queue;
  };

  const route = async (received: CiEvent) => {
    const config = configStore.current();
    const transition = await recordRunState(received);
    const event: CiEvent = transition === undefined ? received : { ...received, transition };
    const runVersion = await runs.record(event);
    const matched = matchRoutes(config.routes, event);
    let queued = 0;
    for (const r of matched) {
      for (const sinkId of r.sinks) {
        const sink = config.sinks.get(sinkId);
        if (!sink) continue;
        const id = notificationId(event, r.name, sinkId);
        const contentKey = `${prefix}:notified:${notificationContentKey(event, r.name, sinkId)}`;
        // First writer wins; the same notification (a retried routing job) still goes through.
        const claimed = await redis.set(contentKey, id, 'EX', config.notificationTtlSeconds, 'NX');
        if (claimed === null && (await redis.get(contentKey)) !== id) {
          log.debug(
            { event: event.id, route: r.name, sink: sinkId },
            '[router] identical notification already sent',
          );
          continue;
        }
        const options = r.options[sinkId];
        const notification: Notification = {
          id,
          route: r.name,
          event,
          runVersion,
          ...(options && { options }),
        };
        await queueFor(sinkId).add('notify', notification, deliveryJobOptions(id, sink.retry));
        queued++;
      }
    }
    metrics.routed.inc({ outcome: queued === 0 ? 'unrouted' : 'routed' });
    log.debug({ event: event.id, routes: matched.map((m) => m.name), queued }, '[router] routed');
  };

  const worker = new Worker<CiEvent>(eventQueueName, async (job) => route(job.data), {
    connection,
    prefix,
    concurrency,
    ...stalledJobOptions(configStore.current().stalledAfterMs),
  });
  worker.on('failed', (job, err) => log.error({ err, event: job?.id }, '[router] routing failed'));
  worker.on('error', (err) => log.error({ err }, '[router] worker error'));
  return {
    worker,
    close: async () => {
      await worker.close();
      await Promise.all([...queues.values()].map((q) => q.close()));
    },
  };
}

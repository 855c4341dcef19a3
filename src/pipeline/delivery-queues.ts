import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { SinkConfig } from '../../sinks';
import type { Notification } from '../contracts/sink';
import { deliveryJobOptions } from './delivery-job-options';
import { deliveryQueueName, isCluster } from '../redis/keyspace';

/** The delivery queues of every sink, opened on first use; one place adds notifications to them. */
export interface DeliveryQueues {
  queueFor(sinkId: string): Queue;
  /** Adds `notification` to its sink's queue; the job id is the notification id, so adding twice adds once. */
  add(sink: SinkConfig, notification: Notification): Promise<void>;
  close(): Promise<void>;
}

/** Creates {@link DeliveryQueues} on a non-blocking connection. */
export function createDeliveryQueues(deps: { redis: Redis; prefix: string }): DeliveryQueues {
  const { redis, prefix } = deps;
  const queues = new Map<string, Queue>();
  const queueFor = (sinkId: string) => {
    let queue = queues.get(sinkId);
    if (!queue) {
      queue = new Queue(deliveryQueueName(sinkId, isCluster(redis)), { connection: redis, prefix });
      queue.on('error', () => undefined);
      queues.set(sinkId, queue);
    }
    return queue;
  };
  return {
    queueFor,
    async add(sink, notification) {
      await queueFor(sink.id).add('notify', notification, deliveryJobOptions(notification.id, sink.retry));
    },
    async close() {
      await Promise.all([...queues.values()].map((q) => q.close()));
    },
  };
}

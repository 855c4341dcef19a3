import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { SinkConfig } from '../../sinks';
import type { Notification } from '../contracts/sink';
import { deliveryJobOptions, type QueuedLater } from './delivery-job-options';
import { deliveryQueueName, isCluster } from '../redis/keyspace';

/**
 * A delivery job's data: the notification, and how many attempts were made before it was queued (the
 * router's own first attempt, see `sendNow` in create-delivery-workers.ts), so attempt numbers and the
 * retry budget carry on from there.
 */
export interface DeliveryJobData extends Notification {
  attemptsBefore?: number;
  /**
   * Set on a notification whose attempt before it was queued failed for good: the job fails at once
   * with this message, without an attempt, so every dead letter is in its sink queue's failed set
   * (where `POST /v1/deliveries/{id}/retry` finds it and clears this).
   */
  deadLetter?: string;
}

/** The notification a delivery job carries, without the job's own bookkeeping. */
export function notificationOf(data: DeliveryJobData): Notification {
  const { attemptsBefore: _attemptsBefore, deadLetter: _deadLetter, ...notification } = data;
  return notification;
}

/** The delivery queues of every sink, opened on first use; one place adds notifications to them. */
export interface DeliveryQueues {
  queueFor(sinkId: string): Queue<DeliveryJobData>;
  /**
   * Adds `notification` to its sink's queue; the job id is the notification id, so adding twice adds
   * once. `later`: the attempts already made and the wait before the next one.
   */
  add(sink: SinkConfig, notification: Notification, later?: QueuedLater): Promise<void>;
  /** Adds `notification` straight to its sink's dead letters, failed with `error` after `attemptsBefore` attempts. */
  addDead(sink: SinkConfig, notification: Notification, attemptsBefore: number, error: string): Promise<void>;
  close(): Promise<void>;
}

/** Creates {@link DeliveryQueues} on a non-blocking connection. */
export function createDeliveryQueues(deps: { redis: Redis; prefix: string }): DeliveryQueues {
  const { redis, prefix } = deps;
  const queues = new Map<string, Queue<DeliveryJobData>>();
  const queueFor = (sinkId: string) => {
    let queue = queues.get(sinkId);
    if (!queue) {
      queue = new Queue<DeliveryJobData>(deliveryQueueName(sinkId, isCluster(redis)), {
        connection: redis,
        prefix,
      });
      queue.on('error', () => undefined);
      queues.set(sinkId, queue);
    }
    return queue;
  };
  return {
    queueFor,
    async add(sink, notification, later) {
      const data: DeliveryJobData =
        later && later.attemptsBefore > 0
          ? { ...notification, attemptsBefore: later.attemptsBefore }
          : notification;
      await queueFor(sink.id).add('notify', data, deliveryJobOptions(notification.id, sink.retry, later));
    },
    async addDead(sink, notification, attemptsBefore, error) {
      await queueFor(sink.id).add(
        'notify',
        { ...notification, attemptsBefore, deadLetter: error },
        deliveryJobOptions(notification.id, sink.retry, { attemptsBefore, delay: 0 }),
      );
    },
    async close() {
      await Promise.all([...queues.values()].map((q) => q.close()));
    },
  };
}

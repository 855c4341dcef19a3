import { createHash } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import type { CiEvent } from '../event/ci-event-schema';
import {
  deliveryQueueName as plainDeliveryQueueName,
  eventQueueName as plainEventQueueName,
} from '../pipeline/queue-names';

/*
 * The slot plan: which Redis keys must share a Redis Cluster hash slot, and which must not.
 * docs/redis-cluster.md explains it; in short:
 *
 * - A BullMQ queue's keys are touched together by its Lua scripts, so each queue is one hash tag. The
 *   tag is the queue name in braces (`ci-relay:{deliver-slack}:wait`), BullMQ's documented "wrap the
 *   queue name" option: the relay's prefix stays as it is, and different queues land in different slots.
 * - Events go to `eventPartitions` queues, chosen by run, so one run's events stay in one queue (in order,
 *   deduplicated there) and different runs spread over the partitions' slots.
 * - The API's records (events, deliveries, their indexes, the run board, the stream, the audit log) are
 *   written together by one MULTI or script and read together (MGET, index choices): one tag for all,
 *   `{ci-relay}:rec:...`.
 * - Everything else is one key per command (run snapshots, run series, notified claims, Slack run
 *   messages and their locks, rate limit counters) and needs no tag: the key itself spreads them.
 *   The Slack channel pacer's script touches three keys of one sink: they share the sink's tag.
 *
 * On a single Redis no braces are added, so the keys of existing installations stay as they were.
 */

/** A connection to a single Redis or to a Redis Cluster (ioredis `Cluster` answers the same commands). */
export type RedisClient = Redis | Cluster;

/** Whether `redis` is a Redis Cluster client, which is what switches the tagged key layout on. */
export function isCluster(redis: RedisClient): boolean {
  return redis.isCluster;
}

/** `name` as a Redis Cluster hash tag on a cluster (`{name}`), unchanged on a single Redis. */
export function hashTag(name: string, cluster: boolean): string {
  return cluster ? `{${name}}` : name;
}

/** The default number of event queues: 1 on a single Redis, 8 on a cluster (8 slots on up to 8 masters). */
export function defaultEventPartitions(cluster: boolean): number {
  return cluster ? 8 : 1;
}

/** The names of the event queues: `events` alone, or `events-0` .. `events-<n-1>`; braced on a cluster. */
export function eventQueueNames(partitions: number, cluster: boolean): string[] {
  if (partitions <= 1) return [hashTag(plainEventQueueName, cluster)];
  return Array.from({ length: partitions }, (_, i) => hashTag(`${plainEventQueueName}-${i}`, cluster));
}

/** The partition of `event`'s run: the same for every event of one (source, repository, pipeline id). */
export function eventPartition(event: CiEvent, partitions: number): number {
  if (partitions <= 1) return 0;
  const run = createHash('sha256')
    .update([event.source, event.repository.name, event.pipeline.id].join('\n'))
    .digest();
  return run.readUInt32BE(0) % partitions;
}

/** The event queue `event` goes to (see {@link eventPartition}). */
export function eventQueueFor(event: CiEvent, partitions: number, cluster: boolean): string {
  return eventQueueNames(partitions, cluster)[eventPartition(event, partitions)] as string;
}

/** The delivery queue of one sink: `deliver-<sinkId>`, braced on a cluster. */
export function deliveryQueueName(sinkId: string, cluster: boolean): string {
  return hashTag(plainDeliveryQueueName(sinkId), cluster);
}

/** The prefix the record stores are given: `{prefix}` on a cluster, so every record key shares one slot. */
export function recordsPrefix(prefix: string, cluster: boolean): string {
  return hashTag(prefix, cluster);
}

/** The prefix of the Slack channel pacer's keys of one sink: braced on a cluster, so its learn script touches one slot. */
export function sinkPacerPrefix(keyPrefix: string, cluster: boolean): string {
  return hashTag(keyPrefix, cluster);
}

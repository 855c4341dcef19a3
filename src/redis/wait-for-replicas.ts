import calculateSlot from 'cluster-key-slot';
import type { Cluster, Redis } from 'ioredis';

/** `redis.waitForReplicas`: how many replicas must have a webhook's events before it is answered 202. */
export interface WaitForReplicasSettings {
  replicas: number;
  timeoutMs: number;
}

/** Resolves once `replicas` replicas have every write this connection made to `key`'s master; throws otherwise. */
export type WaitForReplicas = (key: string) => Promise<void>;

/** A replica did not acknowledge in time. */
export class ReplicasBehindError extends Error {
  override name = 'ReplicasBehindError';
}

/**
 * `WAIT replicas timeoutMs` on the connection that made the writes: on a single Redis the connection
 * itself; on a cluster the node connection that serves `key`'s slot (WAIT names no key, so the cluster
 * client would send it to any node). WAIT covers every earlier write of that connection, so one call
 * after a webhook's writes is enough. It holds the connection while it waits: with replicas in sync it
 * costs a round trip to the replica; with none answering, up to `timeoutMs` for every caller.
 */
export function createWaitForReplicas(redis: Redis, settings: WaitForReplicasSettings): WaitForReplicas {
  const { replicas, timeoutMs } = settings;
  const connectionFor = (key: string): Redis => {
    if (!redis.isCluster) return redis;
    const cluster = redis as unknown as Cluster;
    const nodeKey = cluster.slots[calculateSlot(key)]?.[0];
    const node = cluster.nodes('master').find((n) => `${n.options.host}:${n.options.port}` === nodeKey);
    if (!node) throw new ReplicasBehindError(`[redis] no master known for the slot of ${key}`);
    return node;
  };
  return async (key) => {
    const acked = Number(await connectionFor(key).call('WAIT', replicas, timeoutMs));
    if (acked < replicas)
      throw new ReplicasBehindError(
        `[redis] ${acked} of ${replicas} replicas acknowledged within ${timeoutMs} ms`,
      );
  };
}

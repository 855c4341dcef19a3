import type { Redis } from 'ioredis';

/**
 * The /readyz check of a Redis Cluster: connected, and the cluster says `cluster_state:ok` (every hash
 * slot has a reachable master). Resolves true, or the reason it is not ready.
 */
export function clusterReadiness(redis: Redis): () => Promise<true | string> {
  return async () => {
    if (redis.status !== 'ready') return `Redis Cluster is not connected (${redis.status})`;
    let info: string;
    try {
      info = String(await redis.cluster('INFO'));
    } catch (e) {
      return `Redis Cluster did not answer: ${(e as Error).message}`;
    }
    const state = /cluster_state:(\w+)/.exec(info)?.[1] ?? 'unknown';
    if (state !== 'ok')
      return `Redis Cluster state is "${state}": some hash slots have no reachable master (a failover may be under way)`;
    return true;
  };
}

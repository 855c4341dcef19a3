import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import { RedisUnavailableError } from '../app/start-private-redis';

/** Where the relay's Redis is: a URL, or the seed nodes of a Redis Cluster (`REDIS_CLUSTER_NODES`). */
export type RedisTarget = string | { clusterNodes: ReadonlyArray<{ host: string; port: number }> };

/** Parses `REDIS_CLUSTER_NODES` (`host:port,host:port`); throws on an entry that is not `host:port`. */
export function parseClusterNodes(value: string): Array<{ host: string; port: number }> {
  return value
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '')
    .map((entry) => {
      const match = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(entry);
      const port = Number(match?.[2]);
      if (!match || port < 1 || port > 65535)
        throw new RedisUnavailableError(`[relay] REDIS_CLUSTER_NODES: "${entry}" is not host:port`);
      return { host: (match[1] as string).replace(/^\[|\]$/g, ''), port };
    });
}

/**
 * An ioredis connection for `target`: a URL (`redis://`, `rediss://`, or `unix:///path/to/redis.sock`), or
 * a Redis Cluster. Producers fail fast while Redis is down, so a webhook gets 503 at once instead of
 * hanging; workers wait for Redis to come back (BullMQ requires `maxRetriesPerRequest: null` for them).
 *
 * A Cluster is returned typed as `Redis`: it answers the same commands (routing each by its key's slot,
 * following MOVED and ASK redirections itself), BullMQ accepts either, and the slot plan
 * (src/redis/keyspace.ts, chosen by `redis.isCluster`) keeps every script and MULTI in one slot.
 */
export function createRedis(target: RedisTarget, purpose: 'producer' | 'worker'): Redis {
  const options: RedisOptions =
    purpose === 'producer'
      ? { enableOfflineQueue: false, maxRetriesPerRequest: 1, commandTimeout: 5000, connectTimeout: 5000 }
      : { maxRetriesPerRequest: null, enableReadyCheck: true };
  // Capped low: the receiver answers 503 until the producer is back, so a Redis restart should cost at
  // most half a second of that, not the seconds a long backoff would add. @see watchRedis for quiet logs.
  const retry = (times: number) => Math.min(times * 50, 500);
  if (typeof target !== 'string') return createCluster(target.clusterNodes, purpose, options, retry);
  options.retryStrategy = retry;
  if (target.startsWith('unix://')) return new Redis({ ...options, path: target.slice('unix://'.length) });
  return new Redis(target, options);
}

function createCluster(
  nodes: ReadonlyArray<{ host: string; port: number }>,
  purpose: 'producer' | 'worker',
  nodeOptions: RedisOptions,
  retry: (times: number) => number,
): Redis {
  const { enableOfflineQueue, ...redisOptions } = nodeOptions;
  const options: ClusterOptions = {
    // Node connections reconnect on their own; the cluster client refreshes its slot map after a
    // failover (MOVED, or a node that stopped answering) and retries the command on the new master.
    redisOptions,
    clusterRetryStrategy: retry,
    retryDelayOnFailover: 200,
    retryDelayOnClusterDown: 200,
    retryDelayOnTryAgain: 100,
    slotsRefreshTimeout: 2000,
    enableReadyCheck: true,
    ...(purpose === 'producer' && { enableOfflineQueue: enableOfflineQueue ?? false }),
  };
  return new Cluster([...nodes], options) as unknown as Redis;
}

/**
 * A new connection like `redis` with `options` changed: `Redis#duplicate(options)` on a single Redis;
 * on a cluster (whose `duplicate` takes startup nodes first) the options go to every node connection,
 * and `enableOfflineQueue` to the cluster client.
 */
export function duplicateRedis(redis: Redis, options: RedisOptions): Redis {
  if (!redis.isCluster) return redis.duplicate(options);
  const cluster = redis as unknown as Cluster;
  const { enableOfflineQueue, retryStrategy: _ignored, ...nodeOptions } = options;
  return cluster.duplicate([], {
    redisOptions: { ...cluster.options.redisOptions, ...nodeOptions },
    ...(enableOfflineQueue !== undefined && { enableOfflineQueue }),
  }) as unknown as Redis;
}

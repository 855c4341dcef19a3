import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { createConfigStore, type ConfigStore } from '../config/config-store';
import { createMetrics } from '../metrics/create-metrics';
import { createDeliveryWorkers } from '../pipeline/create-delivery-workers';
import { createRedis, type RedisTarget } from '../pipeline/create-redis';
import { createRouterWorker } from '../pipeline/create-router-worker';
import { createSourceRateLimit } from '../receiver/create-source-rate-limit';
import { createEventEnqueuer } from '../pipeline/enqueue-events';
import { defaultKeyPrefix } from '../pipeline/queue-names';
import {
  defaultEventPartitions,
  deliveryQueueName,
  eventQueueFor,
  eventQueueNames,
  isCluster,
  recordsPrefix,
} from '../redis/keyspace';
import { clusterReadiness } from '../redis/cluster-readiness';
import { createWaitForReplicas } from '../redis/wait-for-replicas';
import { registerQueueMetrics } from '../metrics/register-queue-metrics';
import type { SinkDeps } from '../../sinks/sink';
import { createApp } from './create-app';
import { hostname } from 'node:os';
import { createApiAuth, type ApiAuthDeps } from '../api/create-api-auth';
import { createApiRouter } from '../api/create-api-router';
import { createDeliveryQueues } from '../pipeline/delivery-queues';
import { createRecords } from '../store/create-records';

import { startPrivateRedis, type PrivateRedis } from './start-private-redis';

/** What this process does: receive webhooks, run the workers, or both. */
export type Role = 'all' | 'receiver' | 'worker';

/** Options of {@link startRelay}. */
export interface RelayOptions {
  configFile: string;
  /** @defaultValue `all` */
  role?: Role;
  /** Redis to use; when absent, a private redis-server is started under `.data/`. */
  redisUrl?: string | undefined;
  /** Seed nodes of a Redis Cluster (`REDIS_CLUSTER_NODES`); when given, `redisUrl` is not used. */
  redisClusterNodes?: ReadonlyArray<{ host: string; port: number }> | undefined;
  /** @defaultValue 8080; 0 picks a free port */
  port?: number;
  /** @defaultValue `0.0.0.0` */
  host?: string;
  /** Redis key prefix (tests use one per test). @defaultValue `ci-relay` */
  prefix?: string;
  log: Logger;
  /** Watch the config file and reload on change. @defaultValue true */
  watchConfig?: boolean;
  /** Handed to every sink (tests pass their own fetch or clock). */
  sinkDeps?: Omit<SinkDeps, 'log'>;
  env?: NodeJS.ProcessEnv;
  /** Test hooks of the API's authentication (a clock, a fetch for the OAuth issuer). */
  apiAuth?: Pick<ApiAuthDeps, 'now' | 'fetch' | 'jwksCooldownMs'>;
  /** How often old records are trimmed. @defaultValue 10000 */
  trimIntervalMs?: number;
}

/** A running relay. */
export interface RunningRelay {
  /** Base URL of its HTTP server. */
  url: string;
  configStore: ConfigStore;
  /** Stops accepting, lets in-flight work finish, closes Redis. */
  close(): Promise<void>;
}

function waitUntilReady(redis: Redis, timeoutMs: number): Promise<void> {
  if (redis.status === 'ready') return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, timeoutMs);
    function done() {
      clearTimeout(timer);
      redis.off('ready', done);
      resolve();
    }
    redis.once('ready', done);
  });
}

/** Starts the relay in the given role. Throws ConfigError on an invalid config. */
export async function startRelay(options: RelayOptions): Promise<RunningRelay> {
  const { configFile, role = 'all', port = 8080, host = '0.0.0.0', prefix = defaultKeyPrefix, log } = options;
  const configStore = createConfigStore(configFile, {
    log: log.child({ component: 'config' }),
    watchFile: options.watchConfig ?? true,
    ...(options.env && { env: options.env }),
  });
  const closers: Array<() => Promise<void>> = [];
  const clusterNodes = options.redisClusterNodes?.length ? options.redisClusterNodes : undefined;
  const privateRedis: PrivateRedis | undefined =
    options.redisUrl || clusterNodes ? undefined : await startPrivateRedis();
  const redisUrl = options.redisUrl ?? privateRedis?.url ?? '';
  const target: RedisTarget = clusterNodes ? { clusterNodes } : redisUrl;
  if (privateRedis)
    log.info(
      { redis: redisUrl },
      '[relay] REDIS_URL not set: started a private redis-server (data in .data/)',
    );

  const connections: Redis[] = [];
  const connect = (purpose: 'producer' | 'worker') => {
    const redis = createRedis(target, purpose);
    redis.on('error', (err) => log.warn({ err: err.message, purpose }, '[redis] connection error'));
    connections.push(redis);
    return redis;
  };
  const metrics = createMetrics();
  const producer = connect('producer');
  // Producers do not queue commands while disconnected (a webhook gets 503 at once), so give the first
  // connection a moment; if Redis is down the relay still starts and /readyz says so.
  await waitUntilReady(producer, 5000);
  // The slot plan (src/redis/keyspace.ts): braced queue names and one tag for the records on a cluster.
  const cluster = isCluster(producer);
  const eventPartitions = configStore.current().eventPartitions ?? defaultEventPartitions(cluster);
  const eventQueues = eventQueueNames(eventPartitions, cluster);
  const recordPrefix = recordsPrefix(prefix, cluster);
  const waitSettings = configStore.current().waitForReplicas;

  let enqueue;
  if (role !== 'worker') {
    const byName = new Map<string, Queue>();
    for (const name of eventQueues) {
      const eventQueue = new Queue(name, {
        connection: producer,
        prefix,
        defaultJobOptions: {
          attempts: 10,
          backoff: { type: 'exponential', delay: 1000 },
          // Deduplication lives in its own key, so a routed event's job is no longer needed.
          removeOnComplete: true,
          removeOnFail: { age: 7 * 24 * 3600 },
        },
      });
      eventQueue.on('error', (err) => log.warn({ err: err.message }, '[receiver] queue error'));
      closers.push(() => eventQueue.close());
      byName.set(name, eventQueue);
    }
    enqueue = createEventEnqueuer({
      queueFor: (event) => byName.get(eventQueueFor(event, eventPartitions, cluster)) as Queue,
      connected: () => producer.status === 'ready',
      ...(waitSettings && { waitForReplicas: createWaitForReplicas(producer, waitSettings) }),
    });
  }

  const retention = () => configStore.current().retention;
  const records = createRecords({
    redis: producer,
    prefix: recordPrefix,
    retention,
    log: log.child({ component: 'records' }),
    ...(options.trimIntervalMs !== undefined && { trimIntervalMs: options.trimIntervalMs }),
  });
  closers.push(() => records.close());
  const queues = createDeliveryQueues({ redis: producer, prefix });
  closers.push(() => queues.close());

  if (role !== 'receiver') {
    const workerRedis = connect('worker');
    const workerRecords = createRecords({
      redis: workerRedis,
      prefix: recordPrefix,
      retention,
      log: log.child({ component: 'records' }),
    });
    const router = createRouterWorker({
      connection: workerRedis,
      redis: workerRedis,
      prefix,
      configStore,
      log: log.child({ component: 'router' }),
      metrics,
      records: workerRecords,
      queueNames: eventQueues,
    });
    const deliveries = createDeliveryWorkers({
      connection: workerRedis,
      redis: workerRedis,
      prefix,
      log: log.child({ component: 'delivery' }),
      metrics,
      records: workerRecords,
      ...(options.sinkDeps && { sinkDeps: options.sinkDeps }),
    });
    await deliveries.apply(configStore.current());
    configStore.onChange((config) => deliveries.apply(config));
    closers.push(
      () => router.close(),
      () => deliveries.close(),
    );
  }

  // Queue objects for reading counts only: no workers, no blocking connection.
  const countedQueues = new Map<string, Queue>();
  const counted = (name: string) => {
    let queue = countedQueues.get(name);
    if (!queue) {
      queue = new Queue(name, { connection: producer, prefix });
      queue.on('error', () => undefined);
      countedQueues.set(name, queue);
    }
    return queue;
  };
  registerQueueMetrics(
    metrics,
    () =>
      [
        ...eventQueues,
        ...[...configStore.current().sinks.keys()].map((id) => deliveryQueueName(id, cluster)),
      ].map(counted),
    () => producer.status === 'ready',
  );
  closers.push(async () => {
    await Promise.all([...countedQueues.values()].map((q) => q.close()));
  });

  // Every instance offers to trim; a lock in Redis lets one do it each interval.
  records.trimmer.start();
  configStore.onChange((config) =>
    records.audit
      .record({
        who: 'config',
        action: 'config.reload',
        target: config.file,
        details: { instance: `${hostname()}:${process.pid}` },
      })
      .catch(() => undefined),
  );
  const auth = createApiAuth({
    configStore,
    redis: producer,
    prefix,
    log: log.child({ component: 'api' }),
    ...(options.apiAuth ?? {}),
  });
  closers.push(async () => auth.close());
  const api = createApiRouter({
    configStore,
    records,
    queues,
    redis: producer,
    prefix,
    log: log.child({ component: 'api' }),
    authorize: auth.authorize,
  });
  const app = createApp({
    configStore,
    log,
    metrics,
    api: api.router,
    isReady: cluster ? clusterReadiness(producer) : async () => (await producer.ping()) === 'PONG',
    ...(enqueue && { enqueue }),
    sourceRateLimit: createSourceRateLimit({ configStore, redis: producer, prefix }),
  });
  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(port, host, () => resolve(s));
    s.once('error', reject);
  });
  // Longer than typical load balancer idle timeouts, so they close first.
  server.keepAliveTimeout = 65_000;
  const address = server.address() as AddressInfo;
  const url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
  log.info({ url, role, config: configFile }, '[relay] listening');

  const onHangup = () => void configStore.reload();
  process.on('SIGHUP', onHangup);

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      process.off('SIGHUP', onHangup);
      configStore.close();
      api.close();
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await stopped;
      for (const closer of closers.reverse()) await closer();
      await Promise.all(connections.map((c) => c.quit().catch(() => c.disconnect())));
      await privateRedis?.stop();
    })());
  return { url, configStore, close };
}

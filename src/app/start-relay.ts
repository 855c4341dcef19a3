import type { AddressInfo } from 'node:net';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { createConfigStore, type ConfigStore } from '../config/config-store';
import { createMetrics } from '../metrics/create-metrics';
import { createCiMetrics } from '../metrics/create-ci-metrics';
import { createDeliveryWorkers } from '../pipeline/create-delivery-workers';
import { createRedis, type RedisTarget } from '../pipeline/create-redis';
import { coalesceWrites } from '../redis/coalesce-writes';
import { createRouterWorker } from '../pipeline/create-router-worker';
import { createSourceRateLimit } from '../receiver/create-source-rate-limit';
import { createEventEnqueuer } from '../pipeline/enqueue-events';
import { createStreamAppender, eventStreamKeys, type EventStreamKeys } from '../pipeline/event-stream';
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
import type { SinkDeps } from '../contracts/sink';
import { createApp } from './create-app';
import { hostname } from 'node:os';
import { createApiAuth, type ApiAuthDeps } from '../api/create-api-auth';
import { createApiRouter } from '../api/create-api-router';
import { createDeliveryQueues } from '../pipeline/delivery-queues';
import { createRecords } from '../store/create-records';

import { createHttpServer, type HttpTimeouts } from './create-http-server';
import { listen } from './listen';
import { relayWarnings } from './relay-warnings';
import { watchRedis } from './watch-redis';
import { withDeadline } from './with-deadline';
import { lowerPriority } from './lower-priority';
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
  /** Test hooks of the API's authentication (a clock, a fetch for the OAuth issuer). */
  apiAuth?: Pick<ApiAuthDeps, 'now' | 'fetch' | 'jwksCooldownMs'>;
  /** How often old records are trimmed. @defaultValue 10000 */
  trimIntervalMs?: number;
  /** The environment `${NAME}` is read from; a function is called again on each reload (to re-read `.env`). */
  env?: NodeJS.ProcessEnv | (() => NodeJS.ProcessEnv);
  /** The `.env` file `env` reads: an edit to it reloads the config as an edit to the config file does. */
  envFile?: string;
  /**
   * Apply `workers.nice` to this process when its role is `worker`. The CLI does; tests that start a
   * worker inside the test process do not, so as not to lower the test runner's own priority.
   * @defaultValue false
   */
  lowerWorkerPriority?: boolean;
  /** How long `close()` may take: in-flight work finishes within it, the rest is cut off. @defaultValue 10000 */
  gracePeriodMs?: number;
  /** HTTP server timeouts (see createHttpServer for the defaults and why). */
  httpTimeouts?: HttpTimeouts;
  /** A TLS proxy is in front (RELAY_BEHIND_TLS_PROXY): no warning about plain HTTP on every interface. */
  tlsInFront?: boolean;
  /** Values published in `.env.example` (value to variable name): a config using one is warned about. */
  publishedSecrets?: ReadonlyMap<string, string>;
  /** The router's and the API's clock (time intervals, repeatInterval, silences); tests pass their own. @defaultValue `Date.now` */
  now?: () => number;
}

/** A running relay. */
export interface RunningRelay {
  /** Base URL of its HTTP server. */
  url: string;
  configStore: ConfigStore;
  /**
   * Stops accepting, lets in-flight requests and deliveries finish, closes Redis; bounded by the grace
   * period: what is still running then is cut off (accepted events stay in Redis, unfinished deliveries
   * are picked up again as stalled jobs). Resolves true when everything finished in time.
   */
  close(): Promise<boolean>;
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
  const { gracePeriodMs = 10_000 } = options;
  const metrics = createMetrics();
  const configStore = createConfigStore(configFile, {
    log: log.child({ component: 'config' }),
    watchFile: options.watchConfig ?? true,
    ...(options.envFile && { alsoWatch: [options.envFile] }),
    ...(options.env && { env: options.env }),
    onReload: (ok) => metrics.configReloads.inc({ result: ok ? 'success' : 'failure' }),
  });
  const closers: Array<() => Promise<void>> = [];
  const redisDown = () => connections.some((c) => c.status !== 'ready');
  const afterHttpClosers: Array<() => Promise<void>> = [];
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
    const redis = coalesceWrites(createRedis(target, purpose));
    connections.push(redis);
    return redis;
  };
  const producer = connect('producer');
  const producerHealth = watchRedis(producer, log.child({ purpose: 'producer' }));
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
    const append = createStreamAppender(producer);
    const keysByName = new Map(eventQueues.map((name) => [name, eventStreamKeys(prefix, name)]));
    enqueue = createEventEnqueuer({
      queueFor: (event) => keysByName.get(eventQueueFor(event, eventPartitions, cluster)) as EventStreamKeys,
      append,
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

  const ciMetrics = createCiMetrics({
    registry: metrics.registry,
    redis: producer,
    prefix,
    settings: () => configStore.current().ciMetrics,
  });

  if (role === 'worker' && options.lowerWorkerPriority === true)
    lowerPriority(configStore.current().workerNice, log);
  if (role !== 'receiver') {
    const workerRedis = connect('worker');
    const workerRecords = createRecords({
      redis: workerRedis,
      prefix: recordPrefix,
      retention,
      log: log.child({ component: 'records' }),
    });
    watchRedis(workerRedis, log.child({ purpose: 'worker' }));
    // The sinks' delivery queues on the worker connection: the router adds to them, and so do the
    // delivery workers when a first attempt failed.
    const deliveryQueues = createDeliveryQueues({ redis: workerRedis, prefix });
    const deliveries = createDeliveryWorkers({
      connection: workerRedis,
      redis: workerRedis,
      prefix,
      log: log.child({ component: 'delivery' }),
      metrics,
      records: workerRecords,
      queues: deliveryQueues,
      ...(options.sinkDeps && { sinkDeps: options.sinkDeps }),
    });
    await deliveries.apply(configStore.current());
    configStore.onChange((config) => deliveries.apply(config));
    const router = createRouterWorker({
      connection: workerRedis,
      redis: workerRedis,
      prefix,
      configStore,
      log: log.child({ component: 'router' }),
      metrics,
      records: workerRecords,
      ciMetrics,
      ...(options.now && { now: options.now }),
      queueNames: eventQueues,
      sendNow: deliveries.sendNow,
      queues: deliveryQueues,
    });
    router.ready.catch((err: unknown) =>
      log.error({ err }, "[router] could not create the event queues' consumer group"),
    );
    // Closed last to first: the router (it makes first attempts through the sinks), then the sinks' workers.
    // With Redis down, BullMQ's graceful close waits for it for ever (and keeps reconnecting): forced.
    closers.push(
      () => deliveryQueues.close(),
      () => deliveries.close(redisDown()),
      () => router.close(redisDown()),
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
    () => [...configStore.current().sinks.keys()].map((id) => counted(deliveryQueueName(id, cluster))),
    () => producer.status === 'ready',
    { redis: producer, queues: eventQueues.map((name) => ({ name, keys: eventStreamKeys(prefix, name) })) },
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
    ...(options.now && { now: options.now }),
  });
  const warningOptions = { host, published: options.publishedSecrets, tlsInFront: options.tlsInFront };
  let warnings = relayWarnings(configStore.current(), warningOptions);
  for (const warning of warnings) log.warn(warning);
  configStore.onChange((config) => {
    warnings = relayWarnings(config, warningOptions);
    for (const warning of warnings) log.warn(warning);
  });

  const app = createApp({
    configStore,
    log,
    metrics,
    api: api.router,
    isReady: cluster ? clusterReadiness(producer) : async () => (await producer.ping()) === 'PONG',
    notReadyReason: producerHealth.reason,
    warnings: () => warnings,
    ...(enqueue && { enqueue }),
    sourceRateLimit: createSourceRateLimit({ configStore, redis: producer, prefix }),
  });
  const http = createHttpServer(app, options.httpTimeouts);
  try {
    await listen(http.server, port, host);
  } catch (e) {
    for (const closer of [...afterHttpClosers, ...closers.reverse()])
      await withDeadline(closer(), Date.now() + 1000);
    for (const c of connections) c.disconnect();
    configStore.close();
    await privateRedis?.stop();
    throw e;
  }
  const address = http.server.address() as AddressInfo;
  const url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
  log.info({ url, role, config: configFile }, '[relay] listening');

  const onHangup = () => void configStore.reload();
  process.on('SIGHUP', onHangup);

  let closing: Promise<boolean> | undefined;
  const close = () =>
    (closing ??= (async () => {
      process.off('SIGHUP', onHangup);
      configStore.close();
      api.close();
      const deadline = Date.now() + gracePeriodMs;
      // HTTP and workers drain side by side: a webhook answered now is in Redis whether or not a worker
      // still runs. Whatever is unfinished at the deadline is cut off; Redis keeps what was accepted.
      const workers = (async () => {
        // In order (the router, which makes first attempts through the sinks, before the sinks' workers),
        // unless Redis is down: nothing can finish then, and one close waiting on Redis would hold the rest.
        const ordered = closers.reverse();
        if (redisDown()) await Promise.all(ordered.map(async (closer) => closer()));
        else for (const closer of ordered) await closer();
      })();
      const receiver = (async () => {
        await http.drain(Math.max(0, gracePeriodMs - 500));
        for (const closer of afterHttpClosers) await closer();
      })();
      const finished = await withDeadline(Promise.all([receiver, workers]), deadline);
      // A connection that is not up would hold QUIT in its offline queue for ever: drop it instead.
      await withDeadline(
        Promise.all(
          connections.map((c) =>
            c.status === 'ready' ? c.quit().catch(() => c.disconnect()) : Promise.resolve(c.disconnect()),
          ),
        ),
        Math.max(deadline, Date.now() + 200),
      );
      for (const c of connections) c.disconnect();
      // Its own redis-server gets a moment to write its append-only file; the process exits regardless.
      if (privateRedis) await withDeadline(privateRedis.stop(), Math.max(deadline, Date.now() + 2000));
      return finished;
    })());
  return { url, configStore, close };
}

import cluster, { type Worker } from 'node:cluster';
import type { Logger } from 'pino';
import { startPrivateRedis, type PrivateRedis } from './start-private-redis';
import { serveClusterMetrics } from '../metrics/cluster-metrics';

/**
 * `ci-relay start --processes N`: this (primary) process forks N copies of the relay that share the
 * HTTP port (node:cluster hands connections to them in turn) and one Redis, so a receiver uses more
 * than one core. Without `REDIS_URL` the primary starts the private redis-server once, for all of
 * them. A copy that dies is started again (after a second, so a crash loop does not spin); SIGTERM or
 * SIGINT is passed on, and the primary exits once every copy has finished its in-flight work.
 */
export async function superviseProcesses(options: {
  processes: number;
  log: Logger;
  redisUrl?: string | undefined;
}): Promise<void> {
  const { processes, log } = options;
  let privateRedis: PrivateRedis | undefined;
  let redisUrl = options.redisUrl;
  if (!redisUrl) {
    privateRedis = await startPrivateRedis();
    redisUrl = privateRedis.url;
    log.info(
      { redis: redisUrl },
      '[relay] REDIS_URL not set: started a private redis-server (data in .data/) for every process',
    );
  }
  let stopping = false;
  const fork = (): Worker => cluster.fork({ REDIS_URL: redisUrl });
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) {
        void (privateRedis?.stop() ?? Promise.resolve()).then(() => process.exit(0));
      }
      return;
    }
    log.error({ pid: worker.process.pid, code, signal }, '[relay] a relay process died; starting another');
    setTimeout(() => {
      if (!stopping) fork();
    }, 1000).unref();
  });
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      // A second signal: stop now.
      for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGKILL');
      process.exit(1);
    }
    stopping = true;
    log.info({ signal }, `[relay] ${signal}: stopping ${processes} processes`);
    const workers = Object.values(cluster.workers ?? {});
    if (workers.length === 0) void (privateRedis?.stop() ?? Promise.resolve()).then(() => process.exit(0));
    for (const worker of workers) worker?.process.kill(signal);
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  serveClusterMetrics();
  for (let i = 0; i < processes; i++) fork();
  log.info({ processes }, `[relay] started ${processes} relay processes on one port`);
}

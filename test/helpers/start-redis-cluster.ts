import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';

/** A local Redis Cluster started for a test run: 3 masters and 3 replicas, in a temporary folder. */
export interface TestRedisCluster {
  /** Every node, as `REDIS_CLUSTER_NODES` takes them. */
  nodes: Array<{ host: string; port: number }>;
  /** `127.0.0.1:p,127.0.0.1:p,...` */
  nodesEnv: string;
  /** The port of the master currently serving `key`'s slot. */
  masterOf(key: string): Promise<number>;
  /** Sends `signal` (default SIGKILL) to the node on `port`. */
  kill(port: number, signal?: NodeJS.Signals): Promise<void>;
  /**
   * Resolves once every slot is served by a master that answers, `cluster_state` is ok everywhere up, and
   * every live replica is linked and seen online by its master.
   */
  waitHealthy(timeoutMs?: number): Promise<void>;
  /** Stops every node and removes the folder. */
  stop(): Promise<void>;
}

async function isFree(port: number): Promise<boolean> {
  const server = createServer();
  return new Promise((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** `count` ports whose cluster bus ports (port + 10000) are free too. */
async function freeClusterPorts(count: number): Promise<number[]> {
  const ports: number[] = [];
  while (ports.length < count) {
    const port = 20000 + Math.floor(Math.random() * 25000);
    if (ports.includes(port) || ports.includes(port + 10000) || ports.includes(port - 10000)) continue;
    if ((await isFree(port)) && (await isFree(port + 10000))) ports.push(port);
  }
  return ports;
}

const probe = (port: number) =>
  new Redis({
    host: '127.0.0.1',
    port,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });

async function ask<T>(port: number, run: (r: Redis) => Promise<T>): Promise<T | undefined> {
  const r = probe(port);
  r.on('error', () => undefined);
  try {
    await r.connect();
    return await run(r);
  } catch {
    return undefined;
  } finally {
    r.disconnect();
  }
}

/**
 * Starts six `redis-server --cluster-enabled yes` on free ports (no persistence: the drill is about
 * replication) with a short node timeout so a failover takes about two seconds, and joins them with
 * `redis-cli --cluster create ... --cluster-replicas 1`.
 */
export async function startRedisCluster(options: { nodeTimeoutMs?: number } = {}): Promise<TestRedisCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'ci-relay-cluster-'));
  const ports = await freeClusterPorts(6);
  const children = new Map<number, ChildProcess>();
  for (const port of ports) {
    const nodeDir = join(dir, String(port));
    mkdirSync(nodeDir);
    const child = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--dir',
        nodeDir,
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        'nodes.conf',
        '--cluster-node-timeout',
        String(options.nodeTimeoutMs ?? 1500),
        '--save',
        '',
        '--appendonly',
        'no',
        // A replica that never finished its first sync cannot take over; start syncing at once.
        '--repl-diskless-sync-delay',
        '0',
      ],
      { stdio: 'ignore' },
    );
    children.set(port, child);
  }
  for (const port of ports) {
    let up = false;
    for (let i = 0; i < 100 && !up; i++) {
      up = (await ask(port, (r) => r.ping())) === 'PONG';
      if (!up) await new Promise((r) => setTimeout(r, 50));
    }
    if (!up) throw new Error(`[test] redis-server on ${port} did not start`);
  }
  const created = spawnSync(
    'redis-cli',
    [
      '--cluster',
      'create',
      ...ports.map((p) => `127.0.0.1:${p}`),
      '--cluster-replicas',
      '1',
      '--cluster-yes',
    ],
    { encoding: 'utf8', timeout: 60_000 },
  );
  if (created.status !== 0)
    throw new Error(`[test] redis-cli --cluster create failed: ${created.stdout}${created.stderr}`);

  const alive = () => ports.filter((p) => children.get(p)?.exitCode === null && !children.get(p)?.signalCode);
  const cluster: TestRedisCluster = {
    nodes: ports.map((port) => ({ host: '127.0.0.1', port })),
    nodesEnv: ports.map((p) => `127.0.0.1:${p}`).join(','),
    async masterOf(key) {
      for (const port of alive()) {
        const slot = await ask(port, (r) => r.cluster('KEYSLOT', key));
        const slots = (await ask(port, (r) => r.cluster('SLOTS'))) as
          Array<[number, number, [string, number]]> | undefined;
        if (slot === undefined || !slots) continue;
        const range = slots.find(([from, to]) => slot >= from && slot <= to);
        if (range) return range[2][1];
      }
      throw new Error(`[test] no master found for ${key}`);
    },
    async kill(port, signal = 'SIGKILL') {
      const child = children.get(port);
      if (!child || child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill(signal);
      await exited;
    },
    async waitHealthy(timeoutMs = 30_000) {
      const end = Date.now() + timeoutMs;
      while (Date.now() < end) {
        const states = await Promise.all(alive().map((p) => ask(p, (r) => r.cluster('INFO'))));
        // A replica whose link to its master is down could not take over (its data counts as too old).
        const links = await Promise.all(alive().map((p) => ask(p, (r) => r.info('replication'))));
        const linked = links.every(
          (info) =>
            typeof info === 'string' &&
            (info.includes('role:master') || info.includes('master_link_status:up')),
        );
        // And each master sees each of them online: until it does, WAIT counts that replica out.
        const replicas = links.filter(
          (info) => typeof info === 'string' && info.includes('role:slave'),
        ).length;
        const online = links
          .filter((info) => typeof info === 'string' && info.includes('role:master'))
          .reduce((n, info) => n + ((info as string).match(/^slave\d+:.*state=online/gm)?.length ?? 0), 0);
        const synced = linked && online === replicas;
        if (synced && states.every((s) => typeof s === 'string' && s.includes('cluster_state:ok'))) return;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`[test] cluster not healthy within ${timeoutMs} ms`);
    },
    async stop() {
      await Promise.all(ports.map((p) => cluster.kill(p, 'SIGTERM')));
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await cluster.waitHealthy();
  return cluster;
}

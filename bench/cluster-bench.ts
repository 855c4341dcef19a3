/**
 * `npm run bench -- --cluster`: 2 receivers + 2 workers on one redis-server, then the same on a local Redis
 * Cluster (3 masters + 3 replicas), in one run: throughput (closed loop, distinct runs so the events
 * spread over the partitions), end-to-end latency at a steady rate, and Redis commands per event (INFO
 * commandstats summed over the masters), with each master's share on the cluster.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { runLatency, type Distribution, type SinkServer } from './latency';
import { distinctJobs, githubHeaders, githubSecret, githubSignature, projectRoot } from './payload';
import { freePort, startChild, waitForHttp, waitForPort, type Child } from './processes';

/** Options of {@link runClusterBench}. */
export interface ClusterBenchOptions {
  work: string;
  sink: SinkServer;
  sinkSecret: Buffer;
  seconds: number;
  connections: number;
  rate: number;
  latencySeconds: number;
  nextDeliveryId: () => string;
  progress: (message: string) => void;
}

/** The figures of one layout. */
export interface LayoutFigures {
  layout: string;
  acceptedPerSec: number;
  non202: number;
  /** Events delivered per second, from the first POST to the last arrival at the sink. */
  deliveredPerSec: number;
  endToEnd: Distribution | undefined;
  answer: Distribution | undefined;
  latencyDelivered: string;
  commandsPerEvent: number;
  /** On the cluster: each master's share of the commands, in %. */
  masterShares?: number[];
  /** On the cluster: the share of the master serving the API records' slot (`{ci-relay}`), in %. */
  recordsMasterShare?: number;
}

async function commandCalls(ports: number[]): Promise<number[]> {
  return Promise.all(
    ports.map(async (port) => {
      const redis = new Redis({ port, host: '127.0.0.1', lazyConnect: true });
      await redis.connect();
      const info = await redis.info('commandstats');
      redis.disconnect();
      let calls = 0;
      for (const match of info.matchAll(/calls=(\d+)/g)) calls += Number(match[1]);
      return calls;
    }),
  );
}

async function startRedisNodes(work: string, count: number, cluster: boolean): Promise<number[]> {
  const ports: number[] = [];
  while (ports.length < count) {
    const port = 20000 + Math.floor(Math.random() * 25000);
    if (!ports.includes(port)) ports.push(port);
  }
  const nodes: Array<[Child, number]> = ports.map((port) => {
    const dir = join(work, `redis-${port}`);
    mkdirSync(dir, { recursive: true });
    const clusterArgs = cluster
      ? ['--cluster-enabled', 'yes', '--cluster-node-timeout', '5000', '--repl-diskless-sync-delay', '0']
      : [];
    const child = startChild(`redis-${port}`, 'redis-server', [
      ...['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'],
      ...clusterArgs,
    ]);
    return [child, port];
  });
  await Promise.all(nodes.map(([child, port]) => waitForPort(child, port)));
  if (cluster) {
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
      { encoding: 'utf8' },
    );
    if (created.status !== 0) throw new Error(`redis-cli --cluster create failed: ${created.stdout}`);
    // Wait until every replica has synced and the cluster is ok.
    for (let i = 0; i < 300; i++) {
      const states = await Promise.all(
        ports.map(async (port) => {
          const r = new Redis({ port, host: '127.0.0.1', lazyConnect: true });
          await r.connect();
          const text = `${String(await r.cluster('INFO'))}${await r.info('replication')}`;
          r.disconnect();
          return text.includes('cluster_state:ok') && !text.includes('master_link_status:down');
        }),
      );
      if (states.every(Boolean)) break;
      await sleep(100);
    }
  }
  return ports;
}

/** The port of the master serving `key`'s slot. */
async function masterOf(port: number, key: string): Promise<number | undefined> {
  const r = new Redis({ port, host: '127.0.0.1', lazyConnect: true });
  await r.connect();
  const slot = Number(await r.cluster('KEYSLOT', key));
  const slots = (await r.cluster('SLOTS')) as unknown as Array<[number, number, [string, number]]>;
  r.disconnect();
  return slots.find(([from, to]) => slot >= from && slot <= to)?.[2][1];
}

async function mastersOf(ports: number[]): Promise<number[]> {
  const masters: number[] = [];
  for (const port of ports) {
    const r = new Redis({ port, host: '127.0.0.1', lazyConnect: true });
    await r.connect();
    if ((await r.info('replication')).includes('role:master')) masters.push(port);
    r.disconnect();
  }
  return masters;
}

/** POSTs distinct runs over `connections` keep-alive connections, alternating between `urls`. */
async function closedLoop(
  urls: string[],
  connections: number,
  seconds: number,
  nextDeliveryId: () => string,
) {
  const jobs = distinctJobs();
  const agent = new Agent({ keepAlive: true, maxSockets: connections * 2 });
  const end = performance.now() + seconds * 1000;
  let i = 0;
  let accepted = 0;
  let other = 0;
  const jobIds: string[] = [];
  const post = (url: string, n: number) =>
    new Promise<number>((resolve) => {
      const body = jobs.body(n);
      const req = request(
        `${url}/hooks/github`,
        {
          method: 'POST',
          agent,
          headers: {
            ...githubHeaders(githubSignature(body), nextDeliveryId()),
            'content-length': body.length,
          },
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', () => resolve(0));
      req.end(body);
    });
  const started = performance.now();
  await Promise.all(
    Array.from({ length: connections }, async (_, c) => {
      while (performance.now() < end) {
        const n = i++;
        const status = await post(urls[c % urls.length] as string, n);
        if (status === 202) {
          accepted++;
          jobIds.push(jobs.jobId(n));
        } else other++;
      }
    }),
  );
  agent.destroy();
  return { accepted, other, seconds: (performance.now() - started) / 1000, jobIds, started };
}

async function runLayout(cluster: boolean, options: ClusterBenchOptions): Promise<LayoutFigures> {
  const { work, sink, sinkSecret, progress } = options;
  const layout = cluster ? 'cluster (3 masters + 3 replicas)' : 'single redis-server';
  const dir = join(work, cluster ? 'cluster' : 'single');
  mkdirSync(dir, { recursive: true });
  const ports = await startRedisNodes(dir, cluster ? 6 : 1, cluster);
  const configFile = join(dir, 'relay.yaml');
  writeFileSync(
    configFile,
    [
      'version: 1',
      'sources:',
      `  - { id: github, provider: github, secrets: ["${githubSecret}"] }`,
      'sinks:',
      `  - { id: bench-sink, type: http, url: "http://127.0.0.1:${sink.port}/events", secret: "whsec_${sinkSecret.toString('base64')}" }`,
      'routes:',
      '  - { name: all, sinks: [bench-sink] }',
      '',
    ].join('\n'),
  );
  const redisEnv = cluster
    ? { REDIS_CLUSTER_NODES: ports.map((p) => `127.0.0.1:${p}`).join(',') }
    : { REDIS_URL: `redis://127.0.0.1:${ports[0]}` };
  const start = async (role: string) => {
    const port = await freePort();
    const child = startChild(
      `${role}-${port}`,
      process.execPath,
      [join(projectRoot, 'dist', 'src', 'main.js'), 'start', '--config', configFile, '--role', role],
      {
        cwd: projectRoot,
        env: { ...process.env, ...redisEnv, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn' },
      },
    );
    const url = `http://127.0.0.1:${port}`;
    await waitForHttp(child, `${url}/readyz`);
    return { child, url };
  };
  const processes = [
    await start('receiver'),
    await start('receiver'),
    await start('worker'),
    await start('worker'),
  ];
  const receivers = processes.slice(0, 2).map((p) => p.url);
  const masters = await mastersOf(ports);
  progress(`${layout}: 2 receivers + 2 workers up; throughput ${options.seconds} s`);
  try {
    const before = await commandCalls(masters);
    const load = await closedLoop(receivers, options.connections, options.seconds, options.nextDeliveryId);
    const deadline = performance.now() + 60_000;
    while (!load.jobIds.every((id) => sink.arrivals.has(id)) && performance.now() < deadline) await sleep(50);
    const lastArrival = Math.max(...load.jobIds.map((id) => sink.arrivals.get(id) ?? 0));
    const delivered = load.jobIds.filter((id) => sink.arrivals.has(id)).length;
    await sleep(500);
    const after = await commandCalls(masters);
    const perMaster = after.map((calls, i) => calls - (before[i] ?? 0));
    const total = perMaster.reduce((a, b) => a + b, 0);
    const recordsMaster = cluster ? await masterOf(masters[0] as number, '{ci-relay}:rec:ev-idx') : undefined;

    progress(`${layout}: latency at ${options.rate} events/s for ${options.latencySeconds} s`);
    const half = (url: string) =>
      runLatency({
        url: `${url}/hooks/github`,
        sink,
        rate: options.rate / 2,
        seconds: options.latencySeconds,
        warmupSeconds: 1,
        settleMs: 5000,
        nextDeliveryId: options.nextDeliveryId,
      });
    const latencies = await Promise.all(receivers.map(half));
    return {
      layout,
      acceptedPerSec: load.accepted / load.seconds,
      non202: load.other,
      deliveredPerSec: delivered / ((lastArrival - load.started) / 1000),
      endToEnd: worstOf(latencies.map((l) => l.endToEnd)),
      answer: worstOf(latencies.map((l) => l.answer)),
      latencyDelivered: `${latencies.reduce((n, l) => n + l.delivered, 0)}/${latencies.reduce((n, l) => n + l.sent, 0)}`,
      commandsPerEvent: total / Math.max(1, load.accepted),
      ...(cluster && { masterShares: perMaster.map((c) => Math.round((100 * c) / Math.max(1, total))) }),
      ...(recordsMaster !== undefined && {
        recordsMasterShare: Math.round(
          (100 * (perMaster[masters.indexOf(recordsMaster)] ?? 0)) / Math.max(1, total),
        ),
      }),
    };
  } finally {
    for (const p of processes) await p.child.stop(5000);
    // The redis-server children are stopped with every other child at the end of the benchmark.
  }
}

/** The per-receiver distribution with the higher p99 (each receiver took half the rate). */
function worstOf(values: Array<Distribution | undefined>): Distribution | undefined {
  return values.reduce<Distribution | undefined>(
    (worst, d) => (d !== undefined && (worst === undefined || d.p99 > worst.p99) ? d : worst),
    undefined,
  );
}

/** Runs both layouts one after the other. */
export async function runClusterBench(options: ClusterBenchOptions): Promise<LayoutFigures[]> {
  return [await runLayout(false, options), await runLayout(true, options)];
}

/** A text table of {@link runClusterBench}'s figures. */
export function formatClusterReport(rows: LayoutFigures[]): string {
  const ms = (d: Distribution | undefined) => (d ? `${d.p50.toFixed(0)} / ${d.p99.toFixed(0)} ms` : 'n/a');
  return [
    'ci-relay on Redis Cluster: 2 receivers + 2 workers, single redis-server vs 3 masters + 3 replicas',
    '',
    ...rows.map((r) =>
      [
        `${r.layout}:`,
        `  accepted ${r.acceptedPerSec.toFixed(0)} webhooks/s (non-202: ${r.non202}), delivered ${r.deliveredPerSec.toFixed(0)} events/s`,
        `  end to end p50 / p99 ${ms(r.endToEnd)}, 202 answer p50 / p99 ${ms(r.answer)} (${r.latencyDelivered} delivered)`,
        `  Redis commands per event ${r.commandsPerEvent.toFixed(1)}${r.masterShares ? `, share per master ${r.masterShares.join(' / ')} % (the records' master: ${r.recordsMasterShare ?? '?'} %)` : ''}`,
      ].join('\n'),
    ),
  ].join('\n');
}

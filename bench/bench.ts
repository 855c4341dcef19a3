/**
 * `npm run bench`: the relay against a bare Express baseline, both started here, in one run.
 *
 *   (a) throughput of the full receive path (verify, normalize, validate, enqueue in Redis) relative to
 *       an Express app that only answers 202, same payload, connections and duration;
 *   (b) end-to-end latency at a steady rate, open loop, from POST to arrival at an HTTP sink.
 *
 * Everything runs on this machine: a private redis-server, the relay (`--role all`, or with `--layout split`
 * a receiver and a worker process) and the baseline as child processes, the load client and the HTTP sink in this process. Figures are ratios against the
 * baseline because absolute numbers depend on the machine. A measurement: exits 0 whether or not the
 * targets are met. `--help` lists the options.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, getPriority, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { measureCpu } from './cpu';
import { runLatency, startSink, type Distribution, type SinkServer } from './latency';
import { deliveryIds, distinctJobs, fixtureBody, githubSecret, projectRoot } from './payload';
import {
  freePort,
  httpGet,
  startChild,
  stopAllChildren,
  waitForHttp,
  waitForPort,
  type Child,
} from './processes';
import {
  cpuMicrosPerRequest,
  formatReport,
  targets,
  type Drain,
  type MeasuredRun,
  type Report,
} from './report';
import { runThroughput } from './throughput';
import { benchApiKey, runApiLists } from './api-lists';
import { redisCommandCalls, redisUsedMemory, rssMb } from './redis-stats';
import { runSoak, type SoakResult } from './soak';
import { readFileSync } from 'node:fs';
import { formatClusterReport, runClusterBench } from './cluster-bench';

const usage = `usage: npm run bench -- [options]
  --json                  print the report as JSON
  --seconds N             seconds per throughput run (8)
  --connections N         concurrent connections of the throughput client (32)
  --rounds N              baseline/relay rounds; the best run of each counts, the spread is shown (3)
  --warmup N              warm-up seconds for each server before measuring (2)
  --rate N                events per second in the latency phase (200)
  --latency-seconds N     measured seconds of the latency phase (10)
  --latency-runs N        latency runs; the median run (by POST -> sink p50) is shown, with the spread (3)
  --only PHASE            throughput, latency, api or soak
  --api-events N          events retained for the API phase's list queries (100000)
  --soak-events N         events the soak phase sends through a fresh relay, whose retention keeps half
                          of them; RSS and Redis memory are read after each tenth (100000)
  --soak-rate N           webhooks per second in the soak, a rate the router keeps up with (400)
  --layout split|all      split (default): a --role receiver process and a --role worker process on one
                          Redis, as production runs it; all: one relay process (--role all)
  --processes N           start the receiver (or the whole relay) with --processes N (1)
  --compare FILE          a previous run's --json report: its figures are printed beside this run's
  --profile DIR           run the relay under node --cpu-prof; the .cpuprofile lands in DIR
  --cluster               instead: 2 receivers + 2 workers on one redis-server, then on a local Redis
                          Cluster (3 masters + 3 replicas): throughput, latency, commands per event`;

const { values: args } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    seconds: { type: 'string', default: '8' },
    connections: { type: 'string', default: '32' },
    rounds: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '2' },
    rate: { type: 'string', default: '200' },
    'latency-seconds': { type: 'string', default: '10' },
    'latency-runs': { type: 'string', default: '3' },
    only: { type: 'string' },
    'api-events': { type: 'string', default: '100000' },
    'soak-events': { type: 'string', default: '100000' },
    'soak-rate': { type: 'string', default: '400' },
    layout: { type: 'string', default: 'split' },
    compare: { type: 'string' },
    processes: { type: 'string', default: '1' },
    profile: { type: 'string' },
    cluster: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (args.help) {
  console.log(usage);
  process.exit(0);
}

function positive(name: string, value: string | undefined): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) {
    console.error(`--${name} must be a positive number, not "${value}"\n${usage}`);
    process.exit(2);
  }
  return n;
}

if (args.only !== undefined && !['throughput', 'latency', 'api', 'soak'].includes(args.only)) {
  console.error(`--only takes throughput, latency, api or soak, not "${args.only}"\n${usage}`);
  process.exit(2);
}

if (args.layout !== 'all' && args.layout !== 'split') {
  console.error(`--layout takes all or split, not "${args.layout}"\n${usage}`);
  process.exit(2);
}

const settings = {
  layout: args.layout,
  seconds: positive('seconds', args.seconds),
  connections: Math.round(positive('connections', args.connections)),
  rounds: Math.round(positive('rounds', args.rounds)),
  warmupSeconds: positive('warmup', args.warmup),
  rate: positive('rate', args.rate),
  latencySeconds: positive('latency-seconds', args['latency-seconds']),
  latencyRuns: Math.round(positive('latency-runs', args['latency-runs'])),
  throughput: args.only === undefined || args.only === 'throughput',
  latency: args.only === undefined || args.only === 'latency',
  api: args.only === undefined || args.only === 'api',
  apiEvents: Math.round(positive('api-events', args['api-events'])),
  soak: args.only === undefined || args.only === 'soak',
  soakEvents: Math.round(positive('soak-events', args['soak-events'])),
  soakRate: positive('soak-rate', args['soak-rate']),
  processes: Math.round(positive('processes', args.processes)),
  profileDir: args.profile === undefined ? undefined : resolve(args.profile),
};

/** Progress goes to stderr; the report to stdout. */
const progress = (message: string) => {
  if (!args.json) process.stderr.write(`[bench] ${message}\n`);
};

/** The processes of one benchmark run. */
interface Setup {
  redis: Child;
  redisUrl: string;
  relay: Child;
  /** The worker process in the split layout. */
  worker: Child | undefined;
  /** Where the router's metrics are: the worker's in the split layout, else the relay's. */
  routerUrl: string;
  baseline: Child | undefined;
  relayUrl: string;
  baselineUrl: string;
  sink: SinkServer;
}

/** What {@link startAll} starts besides Redis and the relay. */
interface StartOptions {
  /** Start the bare Express baseline too. @defaultValue true */
  baseline?: boolean;
  /** The relay's `retention.events`. @defaultValue the relay's default */
  retentionEvents?: number;
}

/** `" (worker at nice N)"` when the worker runs below the bench's own priority (`workers.nice`). */
function niceOf(pid: number | undefined): string {
  if (pid === undefined) return '';
  try {
    const nice = getPriority(pid);
    return nice === getPriority() ? '' : ` (worker at nice ${nice})`;
  } catch {
    return '';
  }
}

/** Starts redis-server, the relay (pointed at `sink`) and the baseline, and waits until all answer. */
async function startAll(
  work: string,
  sink: SinkServer,
  sinkSecret: Buffer,
  options: StartOptions = {},
): Promise<Setup> {
  const redisPort = await freePort();
  const redis = startChild('redis-server', 'redis-server', [
    ...['--port', String(redisPort), '--bind', '127.0.0.1'],
    ...['--save', '', '--appendonly', 'no', '--dir', work],
  ]);
  await waitForPort(redis, redisPort);

  const configFile = join(work, 'relay.yaml');
  writeFileSync(
    configFile,
    [
      'version: 1',
      'sources:',
      '  - id: github',
      '    provider: github',
      `    secrets: ["${githubSecret}"]`,
      'sinks:',
      '  - id: bench-sink',
      '    type: http',
      `    url: "http://127.0.0.1:${sink.port}/events"`,
      `    secret: "whsec_${sinkSecret.toString('base64')}"`,
      'routes:',
      '  - name: all',
      '    sinks: [bench-sink]',
      'api:',
      `  keys: [{ id: bench, key: "${benchApiKey}", scopes: [read] }]`,
      '  rateLimit: { requests: 1000000, perSeconds: 60 }',
      ...(options.retentionEvents === undefined ? [] : [`retention: { events: ${options.retentionEvents} }`]),
      '',
    ].join('\n'),
  );

  const profile = settings.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${settings.profileDir}`] : [];
  const startRelayChild = (name: string, role: string, port: number) =>
    startChild(
      name,
      process.execPath,
      [
        ...profile,
        join(projectRoot, 'dist', 'src', 'main.js'),
        'start',
        '--config',
        configFile,
        '--role',
        role,
        ...(role !== 'worker' && settings.processes > 1 ? ['--processes', String(settings.processes)] : []),
      ],
      {
        cwd: projectRoot,
        env: {
          ...process.env,
          PORT: String(port),
          HOST: '127.0.0.1',
          REDIS_URL: `redis://127.0.0.1:${redisPort}`,
          LOG_LEVEL: 'warn',
        },
      },
    );
  const relayPort = await freePort();
  const split = settings.layout === 'split';
  const relay = startRelayChild('relay', split ? 'receiver' : 'all', relayPort);
  const workerPort = split ? await freePort() : relayPort;
  const worker = split ? startRelayChild('worker', 'worker', workerPort) : undefined;
  const baselinePort = await freePort();
  const baseline =
    options.baseline === false
      ? undefined
      : startChild('baseline', process.execPath, [join(projectRoot, 'dist', 'bench', 'baseline-server.js')], {
          env: { ...process.env, PORT: String(baselinePort), HOST: '127.0.0.1' },
        });
  const relayUrl = `http://127.0.0.1:${relayPort}`;
  const baselineUrl = `http://127.0.0.1:${baselinePort}`;
  const routerUrl = `http://127.0.0.1:${workerPort}`;
  await Promise.all([
    waitForHttp(relay, `${relayUrl}/readyz`),
    worker && waitForHttp(worker, `${routerUrl}/readyz`),
    baseline && waitForPort(baseline, baselinePort),
  ]);
  progress(
    `relay (${split ? 'receiver + worker processes' : '--role all'}) on ${relayUrl}, ` +
      (baseline ? `baseline on ${baselineUrl}, ` : '') +
      `redis on ${redisPort}, sink on ${sink.port}`,
  );
  return {
    redis,
    redisUrl: `redis://127.0.0.1:${redisPort}`,
    relay,
    worker,
    routerUrl,
    baseline,
    relayUrl,
    baselineUrl,
    sink,
  };
}

/**
 * A metric's total over the series whose labels contain `labelFilter` (an unlabelled one, such as the V8
 * heap in use, has the empty label set), from a /metrics page.
 */
async function metricSum(url: string, metric: string, labelFilter = ''): Promise<number | undefined> {
  const { status, body } = await httpGet(`${url}/metrics`);
  if (status !== 200) return undefined;
  let total: number | undefined;
  for (const match of body.matchAll(new RegExp(`^${metric}(?:\\{([^}]*)\\})? (\\S+)$`, 'gm'))) {
    if ((match[1] ?? '').includes(labelFilter)) total = (total ?? 0) + Number(match[2]);
  }
  return total;
}

/** Webhooks accepted (receiver's /metrics) minus events routed (router's /metrics). */
async function relayBacklog(relayUrl: string, routerUrl: string): Promise<number | undefined> {
  const accepted = await metricSum(relayUrl, 'ci_relay_webhooks_total', 'outcome="accepted"');
  const routed = (await metricSum(routerUrl, 'ci_relay_events_routed_total', '')) ?? 0;
  return accepted === undefined ? undefined : accepted - routed;
}

/**
 * Waits until the router has caught up with what the receiver accepted, so that the next phase does not
 * compete with a backlog (and the baseline is not measured while the relay is still busy).
 */
async function drainRelay(setup: Setup, timeoutMs = 60_000): Promise<Drain> {
  const { relayUrl, routerUrl } = setup;
  const start = performance.now();
  const first = (await relayBacklog(relayUrl, routerUrl)) ?? 0;
  let backlog = first;
  while (backlog > 0 && performance.now() - start < timeoutMs) {
    await sleep(50);
    backlog = (await relayBacklog(relayUrl, routerUrl)) ?? 0;
  }
  return { backlog: first, seconds: (performance.now() - start) / 1000, drained: backlog <= 0 };
}

/** (a) Baseline and relay alternately, each warmed up first; the best run of each counts. */
async function throughputPhase(setup: Setup, nextDeliveryId: () => string): Promise<Report['throughput']> {
  const { relayUrl, baselineUrl } = setup;
  const pids = {
    relay: setup.relay.process.pid,
    ...(setup.worker && { worker: setup.worker.process.pid }),
    redis: setup.redis.process.pid,
    ...(setup.baseline && { baseline: setup.baseline.process.pid }),
  };
  const load = async (url: string, seconds: number): Promise<MeasuredRun> => {
    const cpu = measureCpu(pids);
    const run = await runThroughput({
      url: `${url}/hooks/github`,
      // New jobs and runs for every run, so no run is seen twice in the benchmark.
      body: distinctJobs().body,
      connections: settings.connections,
      seconds,
      nextDeliveryId,
    });
    return { ...run, cpu: cpu() };
  };
  progress(`warming up each server for ${settings.warmupSeconds} s`);
  await load(baselineUrl, settings.warmupSeconds);
  await load(relayUrl, settings.warmupSeconds);
  await drainRelay(setup);
  const baselineRuns: MeasuredRun[] = [];
  const relayRuns: MeasuredRun[] = [];
  const drains: Drain[] = [];
  for (let round = 1; round <= settings.rounds; round++) {
    progress(
      `round ${round}/${settings.rounds}: baseline ${settings.seconds} s, then relay ${settings.seconds} s`,
    );
    const b = await load(baselineUrl, settings.seconds);
    const r = await load(relayUrl, settings.seconds);
    const drain = await drainRelay(setup);
    baselineRuns.push(b);
    relayRuns.push(r);
    drains.push(drain);
    progress(
      `  baseline ${b.acceptedPerSec.toFixed(0)} req/s, relay ${r.acceptedPerSec.toFixed(0)} req/s; ` +
        `router backlog ${drain.backlog} routed in ${drain.seconds.toFixed(1)} s`,
    );
  }
  const bestRun = (runs: MeasuredRun[]) =>
    runs.reduce((a, b) => (b.acceptedPerSec > a.acceptedPerSec ? b : a));
  const best = (runs: MeasuredRun[]) => bestRun(runs).acceptedPerSec;
  const ratio = best(relayRuns) / best(baselineRuns);
  const cpuMicros = (runs: MeasuredRun[], process: string) => {
    const micros = cpuMicrosPerRequest(bestRun(runs), process);
    return micros === undefined ? {} : { [process]: Math.round(micros) };
  };
  return {
    connections: settings.connections,
    secondsPerRun: settings.seconds,
    method:
      `${settings.layout === 'split' ? `relay as receiver + worker processes${niceOf(setup.worker?.process.pid)}; ` : ''}` +
      `baseline and relay alternately, ${settings.rounds} rounds of ${settings.seconds} s after ${settings.warmupSeconds} s ` +
      'warm-up each, best run of each; the router catches up between runs',
    baseline: { best: best(baselineRuns), runs: baselineRuns },
    relay: { best: best(relayRuns), runs: relayRuns },
    ratio,
    target: targets.ratio,
    pass: ratio >= targets.ratio,
    relayNon2xx: relayRuns.reduce((n, r) => n + r.non2xx + r.errors + r.timeouts, 0),
    relayDuplicates: relayRuns.reduce((n, r) => n + r.other2xx, 0),
    drains,
    cpuMicrosPerRequest: {
      ...cpuMicros(baselineRuns, 'baseline'),
      ...cpuMicros(relayRuns, 'relay'),
      ...cpuMicros(relayRuns, 'redis'),
    },
  };
}

/** POST -> 202 of the bare Express app under the latency phase's client and rate. */
async function baselineLatency(baselineUrl: string): Promise<Distribution | undefined> {
  const result = await runLatency({
    url: `${baselineUrl}/hooks/github`,
    rate: settings.rate,
    seconds: settings.latencySeconds,
    warmupSeconds: 1,
    settleMs: 5000,
    nextDeliveryId: deliveryIds(),
  });
  return result.answer;
}

/** (b) Open-loop latency from POST to the sink. */
async function latencyPhase(
  setup: Setup,
  nextDeliveryId: () => string,
): Promise<NonNullable<Report['latency']>> {
  // The same client at the same rate against the bare Express app, first: how fast this machine answers
  // a POST at all, right now (its scheduling noise is in the relay's figures too).
  progress(
    `latency: bare Express, ${settings.rate} requests/s for ${settings.latencySeconds} s after 1 s warm-up`,
  );
  const baseline = setup.baseline ? await baselineLatency(setup.baselineUrl) : undefined;
  progress(`latency: relay, ${settings.rate} events/s for ${settings.latencySeconds} s after 1 s warm-up`);
  const cpu = measureCpu({
    relay: setup.relay.process.pid,
    ...(setup.worker && { worker: setup.worker.process.pid }),
    redis: setup.redis.process.pid,
  });
  const callsBefore = await redisCommandCalls(setup.redisUrl);
  const result = await runLatency({
    url: `${setup.relayUrl}/hooks/github`,
    sink: setup.sink,
    rate: settings.rate,
    seconds: settings.latencySeconds,
    warmupSeconds: 1,
    settleMs: 5000,
    nextDeliveryId,
  });
  const calls = (await redisCommandCalls(setup.redisUrl)) - callsBefore;
  const e2e = result.endToEnd;
  return {
    ...result,
    ...(baseline && { baselineAnswer: baseline }),
    redisCommandsPerEvent: result.delivered > 0 ? calls / result.delivered : undefined,
    rssMb: { relay: rssMb(setup.relay.process.pid), worker: rssMb(setup.worker?.process.pid) },
    cpu: cpu(),
    targets: { p50Ms: targets.p50Ms, p99Ms: targets.p99Ms },
    pass: {
      p50: e2e !== undefined && e2e.p50 <= targets.p50Ms,
      p99: e2e !== undefined && e2e.p99 <= targets.p99Ms,
    },
  };
}

async function main(): Promise<Report> {
  if (args.cluster) {
    await cluster();
    process.exit(0);
  }
  const loadStart = loadavg()[0] ?? 0;
  const work = mkdtempSync(join(tmpdir(), 'ci-relay-bench-'));
  const sinkSecret = randomBytes(32);
  const sink = await startSink(sinkSecret);
  try {
    const nextDeliveryId = deliveryIds();
    const main = settings.throughput || settings.latency || settings.api ? await mainPhases() : {};
    const soak = settings.soak ? await soakPhase(work, sink, sinkSecret, nextDeliveryId) : undefined;
    return {
      node: process.version,
      cpus: availableParallelism(),
      loadAverage: { start: loadStart, end: loadavg()[0] ?? 0 },
      payloadBytes: fixtureBody.length,
      ...main,
      ...(soak && { soak }),
      ...(settings.profileDir && { profileDir: settings.profileDir }),
    };
  } finally {
    await stopAllChildren();
    await sink.close();
    rmSync(work, { recursive: true, force: true });
  }

  /** Throughput, latency and the API lists, on one relay with its baseline. */
  async function mainPhases(): Promise<Pick<Report, 'throughput' | 'latency' | 'api'>> {
    const setup = await startAll(work, sink, sinkSecret);
    const nextDeliveryId = deliveryIds();
    const throughput = settings.throughput ? await throughputPhase(setup, nextDeliveryId) : undefined;
    let latency: Report['latency'];
    if (settings.latency) {
      const runs: NonNullable<Report['latency']>[] = [];
      for (let run = 1; run <= settings.latencyRuns; run++) {
        if (settings.latencyRuns > 1) progress(`latency run ${run}/${settings.latencyRuns}`);
        runs.push(await latencyPhase(setup, nextDeliveryId));
      }
      // The median run by POST -> sink p50 stands for the phase; every run's figures give the spread.
      const ranked = [...runs].sort((a, b) => (a.endToEnd?.p50 ?? Infinity) - (b.endToEnd?.p50 ?? Infinity));
      const median = ranked[Math.floor((ranked.length - 1) / 2)];
      latency = median && {
        ...median,
        runs: runs.map((r) => ({
          endToEnd: r.endToEnd,
          answer: r.answer,
          ...(r.baselineAnswer && { baselineAnswer: r.baselineAnswer }),
          redisCommandsPerEvent: r.redisCommandsPerEvent,
          delivered: r.delivered,
          sent: r.sent,
        })),
      };
    }
    await setup.baseline?.stop();
    let api;
    if (settings.api) {
      progress(
        `api: seeding ${settings.apiEvents} retained events, then timing list queries against /healthz`,
      );
      api = await runApiLists({
        relayUrl: setup.relayUrl,
        redisUrl: setup.redisUrl,
        prefix: 'ci-relay',
        events: settings.apiEvents,
      });
    }
    progress('stopping the relay and redis');
    await stopSetup(setup);
    return { ...(throughput && { throughput }), ...(latency && { latency }), ...(api && { api }) };
  }
}

async function stopSetup(setup: Setup): Promise<void> {
  await setup.relay.stop(settings.profileDir ? 30_000 : 5000);
  await setup.worker?.stop(settings.profileDir ? 30_000 : 5000);
  await setup.redis.stop();
}

/**
 * (d) The soak: a fresh relay (empty Redis, retention capped at half the events, so the second half runs at
 * the cap) takes `--soak-events` webhooks; RSS and Redis memory are read after each tenth and at the end.
 */
async function soakPhase(
  parentWork: string,
  sink: SinkServer,
  sinkSecret: Buffer,
  nextDeliveryId: () => string,
): Promise<SoakResult> {
  const work = mkdtempSync(join(parentWork, 'soak-'));
  const retentionEvents = Math.max(100, Math.floor(settings.soakEvents / 2));
  const setup = await startAll(work, sink, sinkSecret, { baseline: false, retentionEvents });
  try {
    progress(
      `soak: ${settings.soakEvents} events at ${settings.soakRate}/s through a fresh relay ` +
        `(retention.events ${retentionEvents}), ` +
        'memory read after each tenth',
    );
    const result = await runSoak({
      url: `${setup.relayUrl}/hooks/github`,
      redisUrl: setup.redisUrl,
      prefix: 'ci-relay',
      pids: { relay: setup.relay.process.pid, worker: setup.worker?.process.pid },
      sink,
      events: settings.soakEvents,
      retentionEvents,
      redisEmptyBytes: await redisUsedMemory(setup.redisUrl),
      connections: settings.connections,
      rate: settings.soakRate,
      nextDeliveryId,
      backlog: () => relayBacklog(setup.relayUrl, setup.routerUrl),
      heapBytes: async () => ({
        relay: await metricSum(setup.relayUrl, 'ci_relay_nodejs_heap_size_used_bytes'),
        worker: setup.worker
          ? await metricSum(setup.routerUrl, 'ci_relay_nodejs_heap_size_used_bytes')
          : undefined,
      }),
      progress,
    });
    progress('stopping the soak relay and redis');
    return result;
  } finally {
    await stopSetup(setup);
  }
}

let interrupted = false;
const onSignal = (signal: NodeJS.Signals) => {
  if (interrupted) process.exit(130);
  interrupted = true;
  process.stderr.write(`[bench] ${signal}: stopping children\n`);
  void stopAllChildren().finally(() => process.exit(130));
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

async function cluster(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'ci-relay-bench-'));
  const sinkSecret = randomBytes(32);
  const sink = await startSink(sinkSecret);
  try {
    const rows = await runClusterBench({
      work,
      sink,
      sinkSecret,
      seconds: settings.seconds,
      connections: settings.connections,
      rate: settings.rate,
      latencySeconds: settings.latencySeconds,
      nextDeliveryId: deliveryIds(),
      progress,
    });
    console.log(args.json ? JSON.stringify(rows, null, 2) : formatClusterReport(rows));
  } finally {
    await stopAllChildren();
    await sink.close();
    rmSync(work, { recursive: true, force: true });
  }
}

main().then(
  (report) => {
    const previous = args.compare ? (JSON.parse(readFileSync(args.compare, 'utf8')) as Report) : undefined;
    console.log(args.json ? JSON.stringify(report, null, 2) : formatReport(report, previous));
    process.exit(0);
  },
  async (err: unknown) => {
    console.error(`[bench] failed: ${err instanceof Error ? err.message : String(err)}`);
    await stopAllChildren();
    process.exit(1);
  },
);

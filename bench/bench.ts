/**
 * `npm run bench`: the relay against a bare Express baseline, both started here, in one run.
 *
 *   (a) throughput of the full receive path (verify, normalize, validate, enqueue in Redis) relative to
 *       an Express app that only answers 202, same payload, connections and duration;
 *   (b) end-to-end latency at a steady rate, from POST to arrival at an HTTP sink.
 *
 * Options: --json, --seconds N (per throughput run), --connections N, --rounds N, --rate N,
 * --latency-seconds N, --profile DIR (run the relay under `node --cpu-prof`, profile written to DIR).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { formatCpu, measureCpu, type CpuUse } from './cpu';
import { runLatency, startSink, type Distribution, type LatencyResult } from './latency';
import { deliveryIds, fixtureBody, githubSignature, projectRoot } from './payload';
import { freePort, httpGet, startChild, stopAllChildren, waitForHttp, waitForPort } from './processes';
import { runThroughput, type ThroughputRun } from './throughput';

const targets = { ratio: 0.8, p50Ms: 2, p99Ms: 10 };

const { values: args } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    seconds: { type: 'string', default: '8' },
    connections: { type: 'string', default: '32' },
    rounds: { type: 'string', default: '2' },
    warmup: { type: 'string', default: '2' },
    rate: { type: 'string', default: '200' },
    'latency-seconds': { type: 'string', default: '10' },
    profile: { type: 'string' },
    only: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (args.help) {
  console.log(
    'usage: npm run bench -- [--json] [--seconds 8] [--connections 32] [--rounds 2] [--warmup 2]\n' +
      '                        [--rate 200] [--latency-seconds 10] [--profile DIR] [--only throughput|latency]',
  );
  process.exit(0);
}

function positive(name: string, value: string | undefined): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number, not "${value}"`);
  return n;
}

const settings = {
  seconds: positive('seconds', args.seconds),
  connections: Math.round(positive('connections', args.connections)),
  rounds: Math.round(positive('rounds', args.rounds)),
  warmupSeconds: positive('warmup', args.warmup),
  rate: positive('rate', args.rate),
  latencySeconds: positive('latency-seconds', args['latency-seconds']),
  throughput: args.only === undefined || args.only === 'throughput',
  latency: args.only === undefined || args.only === 'latency',
};
if (args.only !== undefined && !['throughput', 'latency'].includes(args.only))
  throw new Error(`--only takes throughput or latency, not "${args.only}"`);

/** Progress goes to stderr; the report to stdout. */
const progress = (message: string) => {
  if (!args.json) process.stderr.write(`[bench] ${message}\n`);
};

interface Drain {
  backlog: number;
  seconds: number;
  drained: boolean;
}

/** Webhooks accepted minus events routed, from the relay's /metrics. */
async function relayBacklog(relayUrl: string): Promise<number | undefined> {
  const { status, body } = await httpGet(`${relayUrl}/metrics`);
  if (status !== 200) return undefined;
  const sum = (metric: string, filter: (labels: string) => boolean) => {
    let total = 0;
    let found = false;
    for (const match of body.matchAll(new RegExp(`^${metric}\\{([^}]*)\\} (\\S+)$`, 'gm'))) {
      if (!filter(match[1] ?? '')) continue;
      total += Number(match[2]);
      found = true;
    }
    return found ? total : undefined;
  };
  const accepted = sum('ci_relay_webhooks_total', (labels) => labels.includes('outcome="accepted"'));
  const routed = sum('ci_relay_events_routed_total', () => true) ?? 0;
  return accepted === undefined ? undefined : accepted - routed;
}

/**
 * Waits until the router has caught up with what the receiver accepted, so the next phase does not
 * compete with a backlog (and the baseline is not measured while the relay is busy).
 */
async function drainRelay(relayUrl: string, timeoutMs = 30_000): Promise<Drain> {
  const start = performance.now();
  const first = (await relayBacklog(relayUrl)) ?? 0;
  let backlog = first;
  while (backlog > 0 && performance.now() - start < timeoutMs) {
    await sleep(100);
    backlog = (await relayBacklog(relayUrl)) ?? 0;
  }
  return { backlog: first, seconds: (performance.now() - start) / 1000, drained: backlog <= 0 };
}

function best(runs: ThroughputRun[]): ThroughputRun {
  return runs.reduce((a, b) => (b.acceptedPerSec > a.acceptedPerSec ? b : a));
}

const verdict = (pass: boolean) => (pass ? 'PASS' : 'MISS');
const fixed = (n: number | undefined, digits = 1) => (n === undefined ? '-' : n.toFixed(digits));

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'ci-relay-bench-'));
  const secretKey = randomBytes(32);
  const sink = await startSink(secretKey);
  try {
    const redisPort = await freePort();
    const redis = startChild('redis-server', 'redis-server', [
      '--port',
      String(redisPort),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      work,
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
        '    secrets: ["bench-secret"]',
        'sinks:',
        '  - id: bench-sink',
        '    type: http',
        `    url: "http://127.0.0.1:${sink.port}/events"`,
        `    secret: "whsec_${secretKey.toString('base64')}"`,
        'routes:',
        '  - name: all',
        '    sinks: [bench-sink]',
        '',
      ].join('\n'),
    );

    const relayPort = await freePort();
    const profileDir = args.profile === undefined ? undefined : resolve(args.profile);
    const relay = startChild(
      'relay',
      process.execPath,
      [
        ...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []),
        join(projectRoot, 'dist', 'src', 'main.js'),
        'start',
        '--config',
        configFile,
        '--role',
        'all',
      ],
      {
        cwd: projectRoot,
        env: {
          ...process.env,
          PORT: String(relayPort),
          HOST: '127.0.0.1',
          REDIS_URL: `redis://127.0.0.1:${redisPort}`,
          LOG_LEVEL: 'warn',
        },
      },
    );
    const baselinePort = await freePort();
    const baseline = startChild(
      'baseline',
      process.execPath,
      [join(projectRoot, 'dist', 'bench', 'baseline-server.js')],
      {
        env: { ...process.env, PORT: String(baselinePort), HOST: '127.0.0.1' },
      },
    );
    const relayUrl = `http://127.0.0.1:${relayPort}`;
    const baselineUrl = `http://127.0.0.1:${baselinePort}`;
    await Promise.all([waitForHttp(relay, `${relayUrl}/readyz`), waitForPort(baseline, baselinePort)]);
    progress(
      `relay ready on ${relayUrl}, baseline on ${baselineUrl}, redis on ${redisPort}, sink on ${sink.port}`,
    );

    // (a) Throughput: baseline and relay alternately, best of each.
    const signature = githubSignature(fixtureBody);
    const nextDeliveryId = deliveryIds();
    const load = (url: string, seconds: number) =>
      runThroughput({
        url: `${url}/hooks/github`,
        body: fixtureBody,
        signature,
        connections: settings.connections,
        seconds,
        nextDeliveryId,
      });
    progress(`warming up both for ${settings.warmupSeconds} s each`);
    await load(baselineUrl, settings.warmupSeconds);
    await load(relayUrl, settings.warmupSeconds);
    const warmDrain = await drainRelay(relayUrl);
    const baselineRuns: ThroughputRun[] = [];
    const relayRuns: ThroughputRun[] = [];
    const drains: Drain[] = [warmDrain];
    for (let round = 1; round <= settings.rounds; round++) {
      progress(`round ${round}/${settings.rounds}: baseline ${settings.seconds} s`);
      baselineRuns.push(await load(baselineUrl, settings.seconds));
      progress(`round ${round}/${settings.rounds}: relay ${settings.seconds} s`);
      relayRuns.push(await load(relayUrl, settings.seconds));
      const drain = await drainRelay(relayUrl);
      drains.push(drain);
      progress(
        `  baseline ${fixed(baselineRuns.at(-1)?.acceptedPerSec, 0)} req/s, relay ${fixed(relayRuns.at(-1)?.acceptedPerSec, 0)} req/s; ` +
          `router backlog ${drain.backlog} drained in ${fixed(drain.seconds)} s`,
      );
    }
    const bestBaseline = best(baselineRuns);
    const bestRelay = best(relayRuns);
    const ratio = bestRelay.acceptedPerSec / bestBaseline.acceptedPerSec;
    const relayNon2xx = relayRuns.reduce((n, r) => n + r.non2xx + r.errors + r.timeouts, 0);
    const relayDuplicates = relayRuns.reduce((n, r) => n + r.other2xx, 0);
    await stopChildQuietly(baseline);

    // (b) Latency, open loop.
    progress(
      `latency: ${settings.rate} events/s for ${settings.latencySeconds} s (after 1 s warm-up at the same rate)`,
    );
    const latency: LatencyResult = await runLatency({
      url: `${relayUrl}/hooks/github`,
      sink,
      rate: settings.rate,
      seconds: settings.latencySeconds,
      warmupSeconds: 1,
      settleMs: 5000,
      nextDeliveryId,
    });

    progress('stopping the relay and redis');
    await relay.stop(profileDir ? 30_000 : 5000);
    await redis.stop();

    const report = {
      node: process.version,
      cpus: availableParallelism(),
      payloadBytes: fixtureBody.length,
      connections: settings.connections,
      secondsPerRun: settings.seconds,
      rounds: settings.rounds,
      method: `baseline and relay alternately, ${settings.rounds} rounds after ${settings.warmupSeconds} s warm-up each; best run of each; router backlog drained between runs`,
      throughput: {
        baseline: { best: bestBaseline.acceptedPerSec, runs: baselineRuns },
        relay: { best: bestRelay.acceptedPerSec, runs: relayRuns },
        ratio,
        target: targets.ratio,
        pass: ratio >= targets.ratio,
        relayNon2xx,
        relayDuplicates,
        drains,
      },
      latency: {
        ...latency,
        targets: { p50Ms: targets.p50Ms, p99Ms: targets.p99Ms },
        pass: {
          p50: latency.endToEnd !== undefined && latency.endToEnd.p50 <= targets.p50Ms,
          p99: latency.endToEnd !== undefined && latency.endToEnd.p99 <= targets.p99Ms,
        },
      },
      ...(profileDir && { profileDir }),
    };

    if (args.json) {
      console.log(JSON.stringify(report, null, 2));
      return;
    }
    const kb = (fixtureBody.length / 1024).toFixed(1);
    const pad = (n: number) => n.toFixed(0).padStart(7);
    const dist = (d: Distribution | undefined) =>
      d
        ? `p50 ${fixed(d.p50)} ms  p90 ${fixed(d.p90)} ms  p99 ${fixed(d.p99)} ms  max ${fixed(d.max)} ms`
        : 'no samples';
    const lines = [
      `ci-relay benchmark (node ${report.node}, ${report.cpus} cpus) — payload ${kb} KB, ${settings.connections} connections, ${settings.seconds} s per run`,
      `            ${report.method}`,
      `throughput  baseline (bare express) ${pad(bestBaseline.acceptedPerSec)} req/s   runs: ${baselineRuns.map((r) => r.acceptedPerSec.toFixed(0)).join(', ')}`,
      `            relay (full receive)    ${pad(bestRelay.acceptedPerSec)} req/s   runs: ${relayRuns.map((r) => r.acceptedPerSec.toFixed(0)).join(', ')}`,
      `            ratio ${ratio.toFixed(2)}  (target >= ${targets.ratio.toFixed(2)}) ${verdict(report.throughput.pass)}   ` +
        `relay non-2xx: ${relayNon2xx}  duplicates (200): ${relayDuplicates}`,
      `            answer latency under load: baseline p50 ${bestBaseline.latencyP50Ms} ms / p99 ${bestBaseline.latencyP99Ms} ms, ` +
        `relay p50 ${bestRelay.latencyP50Ms} ms / p99 ${bestRelay.latencyP99Ms} ms`,
      `            router backlog after each relay run: ${drains
        .slice(1)
        .map(
          (d) => `${d.backlog} events, drained in ${fixed(d.seconds)} s${d.drained ? '' : ' (NOT drained)'}`,
        )
        .join('; ')}`,
      `latency     ${latency.rate} events/s for ${latency.seconds} s (+${latency.warmupSeconds} s warm-up): sent ${latency.sent}, delivered ${latency.delivered}`,
      `            end to end  ${dist(latency.endToEnd)}   ` +
        `(targets p50 <= ${targets.p50Ms} ${verdict(report.latency.pass.p50)}, p99 <= ${targets.p99Ms} ${verdict(report.latency.pass.p99)})`,
      `            202 answer  ${dist(latency.answer)}`,
      `            non-202: ${latency.non202}  request errors: ${latency.requestErrors}  late sends: ${latency.lateSends}  ` +
        `sink repeats: ${latency.sinkRepeats}  bad signatures: ${latency.sinkBadSignatures}`,
    ];
    if (profileDir) lines.push(`profile     relay CPU profile written to ${profileDir}`);
    console.log(lines.join('\n'));
  } finally {
    await stopAllChildren();
    await sink.close();
    rmSync(work, { recursive: true, force: true });
  }
}

async function stopChildQuietly(child: { stop(): Promise<void> }): Promise<void> {
  await child.stop().catch(() => undefined);
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

main().then(
  () => process.exit(0),
  async (err: unknown) => {
    console.error(`[bench] failed: ${err instanceof Error ? err.message : String(err)}`);
    await stopAllChildren();
    process.exit(1);
  },
);

/** The benchmark's report: the figures, the targets, and how they print. */
import { formatCpu, type CpuUse } from './cpu';
import type { Distribution, LatencyResult } from './latency';
import type { ThroughputRun } from './throughput';
import type { ApiListsResult } from './api-lists';
import type { SoakResult, SoakSample } from './soak';

/** Targets the figures are compared with (PASS / MISS): issue #9, ingest at 0.7 of bare Express, and at most 60 Redis commands per event. */
export const targets = { ratio: 0.7, p50Ms: 2, p99Ms: 10, commandsPerEvent: 60 };

/** One throughput run with the CPU use of every process during it. */
export interface MeasuredRun extends ThroughputRun {
  cpu: CpuUse;
}

/** How long the router took to catch up after a relay run. */
export interface Drain {
  /** Events accepted but not yet routed when the run ended. */
  backlog: number;
  seconds: number;
  drained: boolean;
}

/** Everything one benchmark run found. */
export interface Report {
  node: string;
  cpus: number;
  /** 1-minute load average at start and end: other work on a shared machine shows here. */
  loadAverage: { start: number; end: number };
  payloadBytes: number;
  /** List queries of the /v1 API with many retained events. */
  api?: ApiListsResult;
  throughput?: {
    connections: number;
    secondsPerRun: number;
    method: string;
    baseline: { best: number; runs: MeasuredRun[] };
    relay: { best: number; runs: MeasuredRun[] };
    ratio: number;
    target: number;
    pass: boolean;
    /** Non-2xx answers, errors and timeouts of the relay over all measured runs. */
    relayNon2xx: number;
    /** 2xx answers other than 202 (200 = duplicate delivery). */
    relayDuplicates: number;
    drains: Drain[];
    /** CPU µs per request in the best run of each: baseline process; relay and redis processes. */
    cpuMicrosPerRequest: { baseline?: number; relay?: number; redis?: number };
  };
  latency?: LatencyResult & {
    /** POST -> 202 of the bare Express app, same client and rate, just before this run. */
    baselineAnswer?: Distribution;
    cpu: CpuUse;
    /** Redis commands (Lua-internal calls included) per delivered event in the latency phase. */
    redisCommandsPerEvent?: number | undefined;
    /** Resident memory of the relay processes at the end of the latency phase. */
    rssMb?: { relay?: number | undefined; worker?: number | undefined };
    targets: { p50Ms: number; p99Ms: number };
    pass: { p50: boolean; p99: boolean };
    /** Every latency run's figures (`--latency-runs`); the rest of this object is the median run's. */
    runs?: Array<{
      endToEnd: Distribution | undefined;
      answer: Distribution | undefined;
      baselineAnswer?: Distribution;
      redisCommandsPerEvent?: number | undefined;
      delivered: number;
      sent: number;
    }>;
  };
  /** Events through a fresh relay with RSS and Redis memory read along the way. */
  soak?: SoakResult;
  profileDir?: string;
}

const verdict = (pass: boolean) => (pass ? 'PASS' : 'MISS');
const fixed = (n: number | undefined, digits = 1) => (n === undefined ? '-' : n.toFixed(digits));
const dist = (d: Distribution | undefined) =>
  d
    ? `p50 ${fixed(d.p50)} ms  p90 ${fixed(d.p90)} ms  p99 ${fixed(d.p99)} ms  max ${fixed(d.max)} ms`
    : 'no samples';

/** CPU time of `process` per answered request in µs: unlike req/s, hardly moved by other work on the machine. */
export function cpuMicrosPerRequest(run: MeasuredRun, process: string): number | undefined {
  const pct = run.cpu.processes[process];
  return pct === undefined || run.reqPerSec === 0 ? undefined : (pct / 100 / run.reqPerSec) * 1e6;
}

/** CPU time of `process` per event of the latency phase in µs. */
function perEvent(latency: LatencyResult & { cpu: CpuUse }, process: string): number | undefined {
  const pct = latency.cpu.processes[process];
  return pct === undefined ? undefined : (pct / 100 / latency.rate) * 1e6;
}

const perRequest = (run: MeasuredRun, process: string) => `${fixed(cpuMicrosPerRequest(run, process), 0)} µs`;

/** The human-readable table. */
/** The spread of the relay/baseline ratio over the rounds (each round runs both). */
function ratioSpread(t: NonNullable<Report['throughput']>): string {
  const ratios = t.relay.runs.map((r, i) => r.acceptedPerSec / (t.baseline.runs[i]?.acceptedPerSec ?? NaN));
  return `${fixed(Math.min(...ratios), 2)}-${fixed(Math.max(...ratios), 2)}`;
}

/** Formats the report; with `previous` (an earlier --json report), its figures stand beside. */
export function formatReport(report: Report, previous?: Report): string {
  const was = (text: string | undefined) => (previous && text ? `   [before: ${text}]` : '');
  const pt = previous?.throughput;
  const pl = previous?.latency;
  const kb = (report.payloadBytes / 1024).toFixed(1);
  const t = report.throughput;
  const lines = [
    `ci-relay benchmark (node ${report.node}, ${report.cpus} cpus) — payload ${kb} KB` +
      (t ? `, ${t.connections} connections, ${t.secondsPerRun} s per run` : '') +
      `; load average ${report.loadAverage.start.toFixed(1)} -> ${report.loadAverage.end.toFixed(1)}`,
  ];
  if (t) {
    const rate = (n: number) => n.toFixed(0).padStart(7);
    const runs = (rs: MeasuredRun[]) => rs.map((r) => r.acceptedPerSec.toFixed(0)).join(', ');
    const bestOf = (rs: MeasuredRun[]) => rs.reduce((a, b) => (b.acceptedPerSec > a.acceptedPerSec ? b : a));
    const b = bestOf(t.baseline.runs);
    const r = bestOf(t.relay.runs);
    lines.push(
      `throughput  ${t.method}`,
      `            baseline (bare express) ${rate(t.baseline.best)} req/s   (runs: ${runs(t.baseline.runs)})`,
      `            relay (full receive)    ${rate(t.relay.best)} req/s   (runs: ${runs(t.relay.runs)})`,
      `            ratio ${t.ratio.toFixed(2)} (rounds ${ratioSpread(t)})  (target >= ${t.target.toFixed(2)})  ${verdict(t.pass)}   ` +
        `relay non-2xx+errors: ${t.relayNon2xx}  duplicates (200): ${t.relayDuplicates}` +
        was(
          pt &&
            `ratio ${pt.ratio.toFixed(2)}, ${pt.relay.best.toFixed(0)} vs ${pt.baseline.best.toFixed(0)} req/s`,
        ),
      `            answer time under load: baseline p50 ${b.latencyP50Ms} ms, p99 ${b.latencyP99Ms} ms; ` +
        `relay p50 ${r.latencyP50Ms} ms, p99 ${r.latencyP99Ms} ms`,
      `            cpu (% of one core) in best baseline run: ${formatCpu(b.cpu)}`,
      `            cpu (% of one core) in best relay run:    ${formatCpu(r.cpu)}`,
      `            cpu per request (less sensitive to other load than req/s): baseline ${perRequest(b, 'baseline')}; ` +
        `relay ${perRequest(r, 'relay')} + redis ${perRequest(r, 'redis')}`,
      `            router backlog after each relay run: ${t.drains
        .map(
          (d) => `${d.backlog} events, routed in ${fixed(d.seconds)} s${d.drained ? '' : ' (NOT drained)'}`,
        )
        .join('; ')}`,
    );
  }
  const l = report.latency;
  if (l) {
    lines.push(
      `latency     ${l.rate} events/s open loop for ${l.seconds} s (after ${l.warmupSeconds} s warm-up, not counted): ` +
        `sent ${l.sent}, delivered ${l.delivered}`,
      `            POST -> sink ${dist(l.endToEnd)}   ` +
        `(targets p50 <= ${l.targets.p50Ms} ${verdict(l.pass.p50)}, p99 <= ${l.targets.p99Ms} ${verdict(l.pass.p99)})` +
        was(pl && dist(pl.endToEnd)),
      `            POST -> 202  ${dist(l.answer)}${was(pl && dist(pl.answer))}`,
      ...(l.baselineAnswer
        ? [
            `            bare Express POST -> 202 (same client and rate, just before): ${dist(l.baselineAnswer)}`,
          ]
        : []),
      `            redis commands per event (INFO commandstats, Lua calls included): ${fixed(l.redisCommandsPerEvent, 0)}` +
        ` (target <= ${targets.commandsPerEvent} ${verdict(l.redisCommandsPerEvent !== undefined && l.redisCommandsPerEvent <= targets.commandsPerEvent)})` +
        `${was(pl?.redisCommandsPerEvent === undefined ? undefined : fixed(pl.redisCommandsPerEvent, 0))}` +
        `   rss: relay ${l.rssMb?.relay ?? '-'} MB${l.rssMb?.worker === undefined ? '' : `, worker ${l.rssMb.worker} MB`}`,
      `            non-202: ${l.non202}  request errors: ${l.requestErrors}  late sends: ${l.lateSends}  ` +
        `sink repeats: ${l.sinkRepeats}  bad signatures: ${l.sinkBadSignatures}`,
      `            cpu (% of one core): ${formatCpu(l.cpu)}`,
      `            cpu per event (receive + route + deliver): relay ${fixed(perEvent(l, 'relay'), 0)} µs, ` +
        `redis ${fixed(perEvent(l, 'redis'), 0)} µs`,
    );
    if (l.runs && l.runs.length > 1) {
      const runs = l.runs;
      // Lowest-highest of one figure over the runs.
      const spread = (pick: (run: (typeof runs)[number]) => number | undefined, digits: number) => {
        const known = runs.map(pick).filter((v): v is number => v !== undefined);
        return known.length === 0
          ? '-'
          : `${fixed(Math.min(...known), digits)}-${fixed(Math.max(...known), digits)}`;
      };
      lines.push(
        `            spread over ${runs.length} runs (the figures above are the median run's): ` +
          `POST -> sink p50 ${spread((r) => r.endToEnd?.p50, 2)} ms, p99 ${spread((r) => r.endToEnd?.p99, 1)} ms; ` +
          `POST -> 202 p50 ${spread((r) => r.answer?.p50, 2)} ms, p99 ${spread((r) => r.answer?.p99, 1)} ms; ` +
          `bare Express POST -> 202 p50 ${spread((r) => r.baselineAnswer?.p50, 2)} ms, p99 ${spread((r) => r.baselineAnswer?.p99, 1)} ms; ` +
          `commands per event ${spread((r) => r.redisCommandsPerEvent, 1)}; ` +
          `delivered ${runs.map((r) => `${r.delivered}/${r.sent}`).join(', ')}`,
      );
    }
  }
  const a = report.api;
  if (a) {
    lines.push(
      `api         ${a.retainedEvents} retained events over ${a.repositories} repositories (seeded in ${fixed(a.seedSeconds)} s); ` +
        `sequential GETs, p50 ratio against the relay's own /healthz (p50 ${a.healthz.p50} ms); ` +
        `redis ${a.redisBytesPerEvent} bytes per retained event`,
      ...a.lists.map(
        (l) =>
          `            ${l.query.padEnd(60)} ${String(l.items).padStart(3)} items  ${dist(l.ms)}  ratio ${l.ratio.toFixed(1)}`,
      ),
    );
  }
  const soak = report.soak;
  if (soak) lines.push(...formatSoak(soak, previous?.soak));
  if (report.profileDir)
    lines.push(`profile     relay CPU profile (.cpuprofile) written to ${report.profileDir}`);
  return lines.join('\n');
}

const mb = (bytes: number) => bytes / 1048576;

/** Growth of RSS from the first tenth to the end, and of Redis over the half run at the retention cap. */
function soakGrowth(soak: SoakResult) {
  const first = soak.samples[0];
  const half = soak.samples[Math.floor(soak.samples.length / 2) - 1] ?? first;
  const diff = (a: number | undefined, b: number | undefined) =>
    a === undefined || b === undefined ? undefined : a - b;
  return {
    relay: diff(soak.final.rssMb.relay, first?.rssMb.relay),
    worker: diff(soak.final.rssMb.worker, first?.rssMb.worker),
    redisAtCap: half ? mb(soak.final.redisUsedBytes - half.redisUsedBytes) : undefined,
  };
}

/** The soak's lines: memory after each tenth, then what grew and what an event costs Redis. */
function formatSoak(soak: SoakResult, previous: SoakResult | undefined): string[] {
  const signed = (n: number | undefined) => (n === undefined ? '-' : `${n >= 0 ? '+' : ''}${n.toFixed(0)}`);
  const row = (label: string, pick: (s: SoakSample) => string) =>
    `            ${label.padEnd(16)}${[...soak.samples, soak.final].map((s) => pick(s).padStart(7)).join('')}`;
  const g = soakGrowth(soak);
  const p = previous && soakGrowth(previous);
  return [
    `soak        ${soak.events} events at ${soak.rate ?? '-'}/s through a fresh relay (retention.events ${soak.retentionEvents}) in ` +
      `${fixed(soak.seconds, 0)} s, ${soak.acceptedPerSec.toFixed(0)} accepted/s; delivered ${soak.final.delivered}, ` +
      `non-2xx+errors ${soak.non2xx}, sink repeats ${soak.repeats}${soak.drained ? '' : ' (NOT drained)'}`,
    row('sent', (s) => (s === soak.final ? 'end' : `${Math.round(s.sent / 1000)}k`)),
    row('rss relay MB', (s) => String(s.rssMb.relay ?? '-')),
    row('rss worker MB', (s) => String(s.rssMb.worker ?? '-')),
    row('heap relay MB', (s) => String(s.heapMb?.relay ?? '-')),
    row('heap worker MB', (s) => String(s.heapMb?.worker ?? '-')),
    row('redis MB', (s) => mb(s.redisUsedBytes).toFixed(0)),
    row('retained events', (s) => `${Math.round(s.retained / 1000)}k`),
    row('stream entries', (s) =>
      s.streamEntries === undefined ? '-' : `${Math.round(s.streamEntries / 1000)}k`,
    ),
    row('backlog', (s) => String(s.backlog ?? '-')),
    `            rss from the first tenth to the end: relay ${signed(g.relay)} MB, worker ${signed(g.worker)} MB; ` +
      `redis over the second half (at the retention cap) ${signed(g.redisAtCap)} MB; ` +
      `redis ${soak.redisBytesPerRetainedEvent} bytes per retained event (records, indexes, deliveries, streams)` +
      (p
        ? `   [before: relay ${signed(p.relay)} MB, worker ${signed(p.worker)} MB, redis ${signed(p.redisAtCap)} MB, ` +
          `${previous?.redisBytesPerRetainedEvent} bytes per event]`
        : ''),
    `            redis by key family at the end: ${soak.redisByKeyFamily
      .slice(0, 8)
      .map((f) => `${f.family} ${mb(f.bytes).toFixed(1)} MB (${f.keys} keys)`)
      .join(', ')}`,
  ];
}

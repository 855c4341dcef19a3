/**
 * End-to-end latency, open loop: webhooks are sent on a fixed schedule whatever the answers do, and each is
 * timed from just before its POST to the moment the HTTP sink (a server in this process, same clock)
 * has received the notification for it.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { Agent, createServer, request, type Server } from 'node:http';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { distinctJobs, githubHeaders, githubSignature } from './payload';

/** The benchmark's HTTP sink: answers 200, checks the Standard Webhooks signature, notes arrival times. */
export interface SinkServer {
  port: number;
  /** Job id (`data.job.id`) to the first arrival time (performance.now()). */
  arrivals: Map<string, number>;
  received: number;
  /** Notifications received again (same job id). */
  repeats: number;
  badSignatures: number;
  unreadable: number;
  close(): Promise<void>;
}

function signatureMatches(key: Buffer, headers: NodeJS.Dict<string | string[]>, body: Buffer): boolean {
  const id = headers['webhook-id'];
  const timestamp = headers['webhook-timestamp'];
  const signatures = headers['webhook-signature'];
  if (typeof id !== 'string' || typeof timestamp !== 'string' || typeof signatures !== 'string') return false;
  const expected = createHmac('sha256', key).update(`${id}.${timestamp}.`).update(body).digest();
  return signatures.split(' ').some((entry) => {
    const [version, value] = entry.split(',', 2);
    if (version !== 'v1' || value === undefined) return false;
    const offered = Buffer.from(value, 'base64');
    return offered.length === expected.length && timingSafeEqual(offered, expected);
  });
}

/** Starts the sink on a free port of 127.0.0.1; `key` is the decoded whsec_ secret. */
export async function startSink(key: Buffer): Promise<SinkServer> {
  const sink: SinkServer = {
    port: 0,
    arrivals: new Map(),
    received: 0,
    repeats: 0,
    badSignatures: 0,
    unreadable: 0,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const at = performance.now();
      const body = Buffer.concat(chunks);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      sink.received++;
      if (!signatureMatches(key, req.headers, body)) sink.badSignatures++;
      let jobId: unknown;
      try {
        jobId = (JSON.parse(body.toString('utf8')) as { data?: { job?: { id?: unknown } } }).data?.job?.id;
      } catch {
        jobId = undefined;
      }
      if (typeof jobId !== 'string') {
        sink.unreadable++;
        return;
      }
      if (sink.arrivals.has(jobId)) sink.repeats++;
      else sink.arrivals.set(jobId, at);
    });
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  sink.port = typeof address === 'object' && address ? address.port : 0;
  return sink;
}

/** Options of {@link runLatency}. */
export interface LatencyOptions {
  /** `POST` target, e.g. `http://127.0.0.1:8080/hooks/github`. */
  url: string;
  /** Where the relay delivers; absent for the baseline, which only answers (then only answers are timed). */
  sink?: SinkServer;
  /** Events per second. */
  rate: number;
  /** Measured seconds. */
  seconds: number;
  /** Seconds sent first at the same rate and left out of the figures. */
  warmupSeconds: number;
  /** How long to wait for the last notifications after the last send. */
  settleMs: number;
  nextDeliveryId: () => string;
}

/** Percentiles (nearest rank) and max, in ms. */
export interface Distribution {
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/** What the latency phase gives. */
export interface LatencyResult {
  rate: number;
  seconds: number;
  warmupSeconds: number;
  sent: number;
  delivered: number;
  /** Send to arrival at the sink. */
  endToEnd: Distribution | undefined;
  /** Send to the relay's answer (the receive path alone). */
  answer: Distribution | undefined;
  /** Answers other than 202, and requests that failed. */
  non202: number;
  requestErrors: number;
  /** The schedule fell behind by more than 5 ms this many times (the bench process itself was late). */
  lateSends: number;
  sinkRepeats: number;
  sinkBadSignatures: number;
}

/** Nearest-rank percentiles of `values` (sorted in place). */
export function distribution(values: number[]): Distribution | undefined {
  if (values.length === 0) return undefined;
  values.sort((a, b) => a - b);
  const at = (q: number) => values[Math.min(values.length - 1, Math.ceil(q * values.length) - 1)] ?? NaN;
  return { p50: at(0.5), p90: at(0.9), p99: at(0.99), max: values[values.length - 1] ?? NaN };
}

/** Sends `rate` distinct signed events per second and times each to its notification. */
export async function runLatency(options: LatencyOptions): Promise<LatencyResult> {
  const { url, sink, rate, seconds, warmupSeconds, settleMs, nextDeliveryId } = options;
  const jobs = distinctJobs();
  const warmupCount = Math.round(rate * warmupSeconds);
  const total = warmupCount + Math.round(rate * seconds);
  const intervalMs = 1000 / rate;
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const sentAt = new Map<string, number>();
  const answerMs: number[] = [];
  let non202 = 0;
  let requestErrors = 0;
  let lateSends = 0;
  let answered = 0;

  const send = (i: number) => {
    const body = jobs.body(i);
    const headers = {
      ...githubHeaders(githubSignature(body), nextDeliveryId()),
      'content-length': String(body.length),
    };
    const measured = i >= warmupCount;
    const start = performance.now();
    if (measured) sentAt.set(jobs.jobId(i), start);
    const req = request(url, { method: 'POST', agent, headers }, (res) => {
      res.resume();
      res.on('end', () => {
        answered++;
        if (!measured) return;
        answerMs.push(performance.now() - start);
        if (res.statusCode !== 202) non202++;
      });
    });
    req.on('error', () => {
      answered++;
      if (measured) requestErrors++;
    });
    req.end(body);
  };

  await new Promise<void>((resolve) => {
    const start = performance.now();
    let next = 0;
    const tick = () => {
      const now = performance.now();
      const due = Math.min(total, Math.floor((now - start) / intervalMs) + 1);
      if (due - next > 1 && now - (start + next * intervalMs) > 5) lateSends++;
      while (next < due) send(next++);
      if (next >= total) return resolve();
      setTimeout(tick, Math.max(0, start + next * intervalMs - performance.now()));
    };
    tick();
  });

  const deadline = performance.now() + settleMs;
  const allIn = () =>
    answered >= total && (sink === undefined || [...sentAt.keys()].every((id) => sink.arrivals.has(id)));
  while (!allIn() && performance.now() < deadline) await sleep(20);
  agent.destroy();

  const endToEnd: number[] = [];
  if (sink)
    for (const [id, start] of sentAt) {
      const arrived = sink.arrivals.get(id);
      if (arrived !== undefined) endToEnd.push(arrived - start);
    }
  return {
    rate,
    seconds,
    warmupSeconds,
    sent: sentAt.size,
    delivered: endToEnd.length,
    endToEnd: distribution(endToEnd),
    answer: distribution(answerMs),
    non202,
    requestErrors,
    lateSends,
    sinkRepeats: sink?.repeats ?? 0,
    sinkBadSignatures: sink?.badSignatures ?? 0,
  };
}

/**
 * Closed-loop throughput with autocannon: every request a signed webhook with its own delivery id, each
 * a different job of a different run (as in production, where runs are not repeated thousands of times).
 */
import { createRequire } from 'node:module';
import { githubHeaders, githubSignature } from './payload';

/** The part of autocannon's request object that `setupRequest` touches. */
interface AutocannonRequest {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: Buffer | string;
  setupRequest?: (req: AutocannonRequest) => AutocannonRequest;
}

/** The part of autocannon's result the benchmark reads. */
interface AutocannonResult {
  duration: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  requests: { total: number; sent: number };
  latency: { p50: number; p99: number; average: number };
  statusCodeStats?: Record<string, { count: number }>;
}

type Autocannon = (options: {
  url: string;
  connections: number;
  duration?: number;
  amount?: number;
  overallRate?: number;
  pipelining?: number;
  timeout?: number;
  requests: AutocannonRequest[];
}) => Promise<AutocannonResult>;

const autocannon = createRequire(__filename)('autocannon') as Autocannon;

/** What one measured run gives. */
export interface ThroughputRun {
  /** Answers per second (all status codes). */
  reqPerSec: number;
  /** Answers per second with status 202. */
  acceptedPerSec: number;
  total: number;
  /** Count per status code. */
  statuses: Record<string, number>;
  non2xx: number;
  /** 2xx answers other than 202 (a 200 is a duplicate delivery id). */
  other2xx: number;
  errors: number;
  timeouts: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  seconds: number;
}

/** Options of {@link runThroughput}. */
export interface ThroughputOptions {
  url: string;
  /** The `i`th request's body (bench/payload.ts `distinctJobs`); each is signed as it is sent. */
  body: (i: number) => Buffer;
  connections: number;
  /** How long to send; or, with `amount`, send that many requests however long it takes. */
  seconds?: number;
  amount?: number;
  /** Requests per second over all connections; absent: as fast as answers come. */
  rate?: number;
  /** Shared across runs so that no delivery id repeats within the benchmark. */
  nextDeliveryId: () => string;
}

/** POSTs signed bodies for `seconds` (or `amount` of them) over `connections` keep-alive connections. */
export async function runThroughput(options: ThroughputOptions): Promise<ThroughputRun> {
  const { url, body, connections, nextDeliveryId } = options;
  let sent = 0;
  const result = await autocannon({
    url,
    connections,
    ...(options.amount === undefined ? { duration: options.seconds ?? 10 } : { amount: options.amount }),
    ...(options.rate !== undefined && { overallRate: options.rate }),
    pipelining: 1,
    timeout: 10,
    requests: [
      {
        method: 'POST',
        // Called for every request: a new body, its signature and a new delivery id.
        setupRequest: (req) => {
          const bytes = body(sent++);
          req.body = bytes;
          req.headers = githubHeaders(githubSignature(bytes), nextDeliveryId());
          return req;
        },
      },
    ],
  });
  const statuses: Record<string, number> = {};
  for (const [code, { count }] of Object.entries(result.statusCodeStats ?? {}))
    statuses[code] = Number(count);
  const total = result.requests.total;
  const accepted = statuses['202'] ?? 0;
  const ok = Object.entries(statuses)
    .filter(([code]) => code.startsWith('2'))
    .reduce((sum, [, count]) => sum + count, 0);
  return {
    reqPerSec: total / result.duration,
    acceptedPerSec: accepted / result.duration,
    total,
    statuses,
    non2xx: result.non2xx,
    other2xx: ok - accepted,
    errors: result.errors,
    timeouts: result.timeouts,
    latencyP50Ms: result.latency.p50,
    latencyP99Ms: result.latency.p99,
    seconds: result.duration,
  };
}

/** The API phase: list queries against 100k retained events, timed against the relay's own /healthz. */
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { monotonicFactory } from 'ulid';
import pino from 'pino';
import type { CiEvent } from '../src/event/ci-event-schema';
import { createRecords } from '../src/store/create-records';
import type { Distribution } from './latency';
import { redisUsedMemory } from './redis-stats';

/** The API key the benchmark's config lists. */
export const benchApiKey = 'cir_bench_0123456789abcdefghijklmnopqrstuvwxyz';

/** Figures of one list query. */
export interface ListFigure {
  query: string;
  items: number;
  ms: Distribution;
  /** p50 of the query over p50 of /healthz on the same server. */
  ratio: number;
}

/** What the API phase measured. */
export interface ApiListsResult {
  retainedEvents: number;
  seedSeconds: number;
  repositories: number;
  healthz: Distribution;
  lists: ListFigure[];
  /** Redis memory the seeded records took, per event (event JSON, indexes, stream entry). */
  redisBytesPerEvent: number;
}

function distribution(samples: number[]): Distribution {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) =>
    Number((sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0).toFixed(2));
  return { p50: at(0.5), p90: at(0.9), p99: at(0.99), max: at(1) } as Distribution;
}

/** Writes `count` events straight into the records (as the router would), `repositories` distinct ones. */
async function seed(redisUrl: string, prefix: string, count: number, repositories: number): Promise<void> {
  const redis = new Redis(redisUrl);
  const records = createRecords({
    redis,
    prefix,
    retention: () => ({ days: 7, events: count }),
    log: pino({ level: 'silent' }),
  });
  const newId = monotonicFactory();
  const start = Date.now() - count;
  const one = (i: number): CiEvent => {
    const at = start + i;
    const id = newId(at);
    return {
      id,
      schemaVersion: 1,
      source: 'github',
      provider: 'github',
      deliveryId: `seed-${i}`,
      receivedAt: new Date(at).toISOString(),
      kind: i % 5 === 0 ? 'pipeline' : 'job',
      status: i % 7 === 0 ? 'failure' : 'success',
      providerStatus: 'completed',
      repository: { name: `acme/repo-${i % repositories}` },
      branch: i % 3 === 0 ? 'main' : `feature/${i % 50}`,
      commit: { sha: `${i}`.padStart(40, '0') },
      pipeline: { id: `run-${Math.floor(i / 5)}`, name: 'CI', number: Math.floor(i / 5) },
      ...(i % 5 !== 0 && { job: { id: `job-${i}`, name: `job ${i % 5}` } }),
    };
  };
  for (let i = 0; i < count; i += 500) {
    await Promise.all(
      Array.from({ length: Math.min(500, count - i) }, (_, j) => records.events.record(one(i + j))),
    );
  }
  await records.close();
  redis.disconnect();
}

async function timeGets(url: string, n: number): Promise<{ ms: number[]; items: number }> {
  const ms: number[] = [];
  let items = 0;
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    const res = await fetch(url, { headers: { authorization: `Bearer ${benchApiKey}` } });
    const body = (await res.json()) as { items?: unknown[] };
    ms.push(performance.now() - t);
    if (res.status !== 200)
      throw new Error(`GET ${url}: ${res.status} ${JSON.stringify(body).slice(0, 200)}`);
    items = body.items?.length ?? 0;
  }
  return { ms, items };
}

/** Seeds the records, then times each list query and /healthz, sequentially, `n` times each. */
export async function runApiLists(options: {
  relayUrl: string;
  redisUrl: string;
  prefix: string;
  events: number;
  n?: number;
}): Promise<ApiListsResult> {
  const { relayUrl, redisUrl, prefix, events, n = 200 } = options;
  const repositories = 100;
  const t = performance.now();
  const memoryBefore = await redisUsedMemory(redisUrl);
  await seed(redisUrl, prefix, events, repositories);
  const redisBytesPerEvent = Math.round(((await redisUsedMemory(redisUrl)) - memoryBefore) / events);
  const seedSeconds = (performance.now() - t) / 1000;
  const queries = [
    '/v1/events',
    '/v1/events?repository=acme/repo-42',
    '/v1/events?repository=acme/repo-4*',
    '/v1/events?repository=acme/repo-42&status=failure&kind=job',
    '/v1/events?job=job%203&limit=50',
  ];
  await timeGets(`${relayUrl}/healthz`, 50);
  const health = await timeGets(`${relayUrl}/healthz`, n);
  const healthz = distribution(health.ms);
  const lists: ListFigure[] = [];
  for (const query of queries) {
    await timeGets(`${relayUrl}${query}`, 10);
    const run = await timeGets(`${relayUrl}${query}`, n);
    const ms = distribution(run.ms);
    lists.push({ query, items: run.items, ms, ratio: ms.p50 / Math.max(healthz.p50, 0.01) });
  }
  return { retainedEvents: events, seedSeconds, repositories, healthz, lists, redisBytesPerEvent };
}

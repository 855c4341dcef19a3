/**
 * The soak phase: many events through the whole relay (receiver, router, delivery to the HTTP sink), in
 * tenths, with the processes' resident memory and Redis's memory read after each tenth and once everything
 * is delivered and trimmed. What it shows: whether RSS stays flat as events go through, and what one
 * retained event costs Redis once retention has reached its cap.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { recordKeys } from '../src/store/record-keys';
import type { SinkServer } from './latency';
import { distinctJobs } from './payload';
import { redisUsedMemory, rssMb } from './redis-stats';
import { runThroughput } from './throughput';

/** The memory figures read at one point of the soak. */
export interface SoakSample {
  /** Webhooks sent so far. */
  sent: number;
  /** Notifications the sink has received so far. */
  delivered: number;
  /** Events accepted but not yet routed when the sample was read. */
  backlog: number | undefined;
  rssMb: { relay: number | undefined; worker: number | undefined };
  /** V8 heap in use (the processes' /metrics), which shows a leak that RSS's slack would hide. */
  heapMb: { relay: number | undefined; worker: number | undefined };
  redisUsedBytes: number;
  /** Events the records hold (`<prefix>:rec:ev-idx`). */
  retained: number;
  /** Entries of the activity stream (`<prefix>:rec:stream`): each event's, and its deliveries'. */
  streamEntries: number;
}

/** What the soak phase found. */
export interface SoakResult {
  events: number;
  /** The rate webhooks were sent at (`--soak-rate`). */
  rate: number;
  /** `retention.events` of the relay under soak: the second half of the events runs at the cap. */
  retentionEvents: number;
  /** Redis's used_memory of the freshly started relay, before the first event. */
  redisEmptyBytes: number;
  /** One sample per tenth, then `final` after the router caught up and the trimmer ran. */
  samples: SoakSample[];
  final: SoakSample;
  /** (final used_memory - empty) / retained events: every record, index and stream entry an event leaves. */
  redisBytesPerRetainedEvent: number;
  /** Redis memory at the end by key family (ids replaced by `*`), largest first. */
  redisByKeyFamily: Array<{ family: string; keys: number; bytes: number }>;
  acceptedPerSec: number;
  non2xx: number;
  repeats: number;
  drained: boolean;
  seconds: number;
}

/** Options of {@link runSoak}. */
export interface SoakOptions {
  url: string;
  redisUrl: string;
  prefix: string;
  pids: { relay: number | undefined; worker: number | undefined };
  sink: SinkServer;
  events: number;
  retentionEvents: number;
  redisEmptyBytes: number;
  connections: number;
  /** Webhooks per second: a rate the router keeps up with, so the second half runs at the cap. */
  rate: number;
  nextDeliveryId: () => string;
  /** Accepted minus routed, from the processes' /metrics. */
  backlog: () => Promise<number | undefined>;
  /** The processes' V8 heap in use, in bytes. */
  heapBytes: () => Promise<{ relay: number | undefined; worker: number | undefined }>;
  progress: (message: string) => void;
  /** How long to wait for the router and the sink to catch up at the end. @defaultValue 240000 */
  drainTimeoutMs?: number;
}

/** Runs the soak: `events` distinct job webhooks in tenths, sampling memory after each. */
export async function runSoak(options: SoakOptions): Promise<SoakResult> {
  const { sink, events, progress } = options;
  const redis = new Redis(options.redisUrl, { lazyConnect: true });
  await redis.connect();
  const { events: eventsKey, stream: streamKey } = recordKeys(options.prefix);
  const receivedBefore = sink.received;
  const repeatsBefore = sink.repeats;
  const toMb = (bytes: number | undefined) => (bytes === undefined ? undefined : Math.round(bytes / 1048576));
  const sample = async (sent: number): Promise<SoakSample> => {
    const heap = await options.heapBytes();
    return {
      sent,
      heapMb: { relay: toMb(heap.relay), worker: toMb(heap.worker) },
      delivered: sink.received - receivedBefore,
      backlog: await options.backlog(),
      rssMb: { relay: rssMb(options.pids.relay), worker: rssMb(options.pids.worker) },
      redisUsedBytes: await redisUsedMemory(options.redisUrl),
      retained: await redis.zcard(eventsKey),
      streamEntries: await redis.xlen(streamKey),
    };
  };
  try {
    const jobs = distinctJobs();
    const start = performance.now();
    const samples: SoakSample[] = [];
    let sent = 0;
    let non2xx = 0;
    let sendingSeconds = 0;
    let accepted = 0;
    const tenth = Math.ceil(events / 10);
    while (sent < events) {
      const amount = Math.min(tenth, events - sent);
      const offset = sent;
      const run = await runThroughput({
        url: options.url,
        body: (i) => jobs.body(offset + i),
        connections: options.connections,
        amount,
        rate: options.rate,
        nextDeliveryId: options.nextDeliveryId,
      });
      sent += run.total;
      non2xx += run.non2xx + run.errors + run.timeouts;
      accepted += run.statuses['202'] ?? 0;
      sendingSeconds += run.seconds;
      const s = await sample(sent);
      samples.push(s);
      progress(
        `  soak ${sent}/${events} sent, ${s.delivered} delivered, backlog ${s.backlog ?? '-'}; ` +
          `rss relay ${s.rssMb.relay ?? '-'} MB, worker ${s.rssMb.worker ?? '-'} MB; ` +
          `redis ${(s.redisUsedBytes / 1048576).toFixed(0)} MB, ${s.retained} events retained`,
      );
    }
    // The end: every event routed and delivered, then the trimmer (every 10 s) down to the cap.
    const deadline = performance.now() + (options.drainTimeoutMs ?? 240_000);
    let drained = false;
    while (performance.now() < deadline) {
      const backlog = (await options.backlog()) ?? 0;
      if (backlog <= 0 && sink.received - receivedBefore >= accepted) {
        drained = true;
        break;
      }
      await sleep(200);
    }
    const trimDeadline = performance.now() + 25_000;
    while (performance.now() < trimDeadline && (await redis.zcard(eventsKey)) > options.retentionEvents) {
      await sleep(500);
    }
    // The pass that brought the events to the cap may have run before the last events' stream entries
    // were written: one more pass (every 10 s) trims the stream to what is retained now.
    await sleep(11_000);
    const final = await sample(sent);
    const redisByKeyFamily = await keyFamilies(redis);
    progress(
      `  soak end: ${final.delivered} delivered; rss relay ${final.rssMb.relay ?? '-'} MB, worker ` +
        `${final.rssMb.worker ?? '-'} MB; redis ${(final.redisUsedBytes / 1048576).toFixed(0)} MB, ` +
        `${final.retained} events retained`,
    );
    return {
      events,
      rate: options.rate,
      retentionEvents: options.retentionEvents,
      redisEmptyBytes: options.redisEmptyBytes,
      samples,
      final,
      redisBytesPerRetainedEvent:
        final.retained > 0
          ? Math.round((final.redisUsedBytes - options.redisEmptyBytes) / final.retained)
          : 0,
      redisByKeyFamily,
      acceptedPerSec: sendingSeconds > 0 ? accepted / sendingSeconds : 0,
      non2xx,
      repeats: sink.repeats - repeatsBefore,
      drained,
      seconds: (performance.now() - start) / 1000,
    };
  } finally {
    redis.disconnect();
  }
}

/** A key's family: its id-like parts (ULIDs, numbers, hex, uuids, delivery ids) as `*`. */
function familyOf(key: string): string {
  return key
    .split(':')
    .map((part) => (/\d/.test(part) && part.length >= 6 ? '*' : part))
    .join(':');
}

/** Every key's MEMORY USAGE, summed by family, largest first (at most 12). */
async function keyFamilies(redis: Redis): Promise<SoakResult['redisByKeyFamily']> {
  const families = new Map<string, { keys: number; bytes: number }>();
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'COUNT', 1000);
    cursor = next;
    const sizes = await Promise.all(keys.map((key) => redis.memory('USAGE', key, 'SAMPLES', '0')));
    keys.forEach((key, i) => {
      const family = familyOf(key);
      const entry = families.get(family) ?? { keys: 0, bytes: 0 };
      entry.keys++;
      entry.bytes += Number(sizes[i] ?? 0);
      families.set(family, entry);
    });
  } while (cursor !== '0');
  return [...families]
    .map(([family, f]) => ({ family, ...f }))
    .sort((a, b) => b.bytes - a.bytes)
    .slice(0, 12);
}

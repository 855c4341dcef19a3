import cluster, { type Worker } from 'node:cluster';
import { randomUUID } from 'node:crypto';
import {
  AggregatorRegistry,
  type MetricObjectWithValues,
  type MetricValue,
  type Registry,
} from 'prom-client';

type MetricsJson = Array<MetricObjectWithValues<MetricValue<string>>>;

/** The IPC messages between the relay processes of `start --processes N` and their primary. */
type MetricsMessage =
  /** A process's metrics can be asked for from now on. */
  | { type: 'ci-relay:metrics-ready' }
  /** A process asks the primary for everyone's metrics (`text`/`error`: the primary's answer). */
  | { type: 'ci-relay:metrics'; id: string; text?: string; error?: string }
  /** The primary asks a process for its own metrics (`metrics`: the process's answer). */
  | { type: 'ci-relay:metrics-own'; id: string; metrics?: MetricsJson };

const isMetricsMessage = (message: unknown): message is MetricsMessage =>
  typeof message === 'object' &&
  message !== null &&
  String((message as { type?: unknown }).type).startsWith('ci-relay:metrics');

/**
 * Requests sent over IPC that wait for the answer carrying their id. Each gives up after `timeoutMs`,
 * answering undefined.
 */
function pendingRequests<T>(timeoutMs: number): {
  ask(send: (id: string) => void): Promise<T | undefined>;
  answer(id: string, answer: T): void;
} {
  const waiting = new Map<string, (answer: T | undefined) => void>();
  return {
    ask: (send) =>
      new Promise((resolve) => {
        const id = randomUUID();
        const settle = (answer: T | undefined) => {
          clearTimeout(timer);
          waiting.delete(id);
          resolve(answer);
        };
        const timer = setTimeout(() => settle(undefined), timeoutMs);
        waiting.set(id, settle);
        send(id);
      }),
    answer: (id, answer) => waiting.get(id)?.(answer),
  };
}

/** Sends `message` to `worker`; a worker gone meanwhile is no error of the primary's. */
function reply(worker: Worker, message: MetricsMessage): void {
  worker.send(message, undefined, undefined, () => undefined);
}

/**
 * `start --processes N`: the primary answers its relay processes' requests for the metrics of all of
 * them. It asks every process that said it is ready for its own, waits at most `timeoutMs` for each
 * (one still starting or stuck is left out rather than holding the scrape), and aggregates them with
 * prom-client: counters and histograms summed, the gauges read from Redis taken once. Without this a
 * scrape of `/metrics` saw the counters of whichever process the connection landed on.
 */
export function serveClusterMetrics(timeoutMs = 2000): void {
  const ready = new Set<Worker>();
  const asked = pendingRequests<MetricsJson>(timeoutMs);
  cluster.on('exit', (worker) => ready.delete(worker));
  cluster.on('message', (worker, message: unknown) => {
    if (!isMetricsMessage(message)) return;
    if (message.type === 'ci-relay:metrics-ready') ready.add(worker);
    else if (message.type === 'ci-relay:metrics-own' && message.metrics)
      asked.answer(message.id, message.metrics);
    else if (message.type === 'ci-relay:metrics' && message.text === undefined) {
      // A process that has just died: the send fails (reply swallows it) and the process is left out.
      const own = [...ready].map((w) => asked.ask((id) => reply(w, { type: 'ci-relay:metrics-own', id })));
      Promise.all(own)
        .then(async (all) => {
          const answered = all.filter((m): m is MetricsJson => m !== undefined);
          return AggregatorRegistry.aggregate(answered).metrics();
        })
        .then(
          (text) => reply(worker, { type: 'ci-relay:metrics', id: message.id, text }),
          (err: unknown) =>
            reply(worker, {
              type: 'ci-relay:metrics',
              id: message.id,
              error: err instanceof Error ? err.message : String(err),
            }),
        );
    }
  });
}

/**
 * The Prometheus text of `registry`, or, in a process of `start --processes N`, of every process
 * (asked of the primary over IPC, within `timeoutMs`).
 */
export function createMetricsText(registry: Registry, timeoutMs = 5000): () => Promise<string> {
  const toPrimary = process.send?.bind(process);
  if (!cluster.isWorker || !toPrimary) return () => registry.metrics();
  // With the primary gone the send fails; the scrape's own timeout answers for it.
  const send = (message: MetricsMessage) => toPrimary(message, undefined, undefined, () => undefined);
  const asked = pendingRequests<{ text?: string; error?: string }>(timeoutMs);
  process.on('message', (message: unknown) => {
    if (!isMetricsMessage(message)) return;
    if (message.type === 'ci-relay:metrics-own' && message.metrics === undefined) {
      void registry
        .getMetricsAsJSON()
        .then((metrics) => send({ type: 'ci-relay:metrics-own', id: message.id, metrics }));
    } else if (message.type === 'ci-relay:metrics' && (message.text ?? message.error) !== undefined) {
      asked.answer(message.id, message);
    }
  });
  send({ type: 'ci-relay:metrics-ready' });
  return async () => {
    const answer = await asked.ask((id) => send({ type: 'ci-relay:metrics', id }));
    if (answer === undefined)
      throw new Error(`the primary process did not send the metrics within ${timeoutMs} ms`);
    if (answer.text === undefined) throw new Error(answer.error);
    return answer.text;
  };
}

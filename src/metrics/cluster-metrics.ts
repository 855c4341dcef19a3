import cluster from 'node:cluster';
import { randomUUID } from 'node:crypto';
import { AggregatorRegistry, type Registry } from 'prom-client';

/** The IPC message a relay process sends its primary for the metrics of all processes, and the answer. */
interface MetricsMessage {
  type: 'ci-relay:metrics';
  id: string;
  text?: string;
  error?: string;
}

const isMetricsMessage = (message: unknown): message is MetricsMessage =>
  typeof message === 'object' && message !== null && (message as MetricsMessage).type === 'ci-relay:metrics';

/**
 * `start --processes N`: the primary answers its relay processes' requests for the metrics of all of
 * them, gathered with prom-client's AggregatorRegistry (counters and histograms summed; gauges read
 * from Redis, which every process reads alike, taken from one). Without it a scrape of `/metrics` saw
 * the counters of whichever process the connection landed on.
 */
export function serveClusterMetrics(): void {
  const aggregator = new AggregatorRegistry();
  cluster.on('message', (worker, message: unknown) => {
    if (!isMetricsMessage(message) || message.text !== undefined) return;
    aggregator.clusterMetrics().then(
      (text) => worker.send({ type: 'ci-relay:metrics', id: message.id, text } satisfies MetricsMessage),
      (err: unknown) =>
        worker.send({
          type: 'ci-relay:metrics',
          id: message.id,
          error: err instanceof Error ? err.message : String(err),
        } satisfies MetricsMessage),
    );
  });
}

/**
 * The Prometheus text of `registry`, or, in a process of `start --processes N`, of every process
 * (asked of the primary over IPC, within `timeoutMs`).
 */
export function createMetricsText(registry: Registry, timeoutMs = 5000): () => Promise<string> {
  if (!cluster.isWorker || !process.send) return () => registry.metrics();
  // prom-client answers the primary's requests from the registries named here; constructing one is what
  // installs its listener in this process.
  new AggregatorRegistry();
  AggregatorRegistry.setRegistries([registry]);
  const waiting = new Map<string, { resolve: (text: string) => void; reject: (err: Error) => void }>();
  process.on('message', (message: unknown) => {
    if (!isMetricsMessage(message) || (message.text === undefined && message.error === undefined)) return;
    const w = waiting.get(message.id);
    if (!w) return;
    waiting.delete(message.id);
    if (message.text !== undefined) w.resolve(message.text);
    else w.reject(new Error(message.error));
  });
  return () =>
    new Promise<string>((resolve, reject) => {
      const id = randomUUID();
      const timer = setTimeout(() => {
        waiting.delete(id);
        reject(new Error(`the primary process did not send the metrics within ${timeoutMs} ms`));
      }, timeoutMs);
      waiting.set(id, {
        resolve: (text) => {
          clearTimeout(timer);
          resolve(text);
        },
        reject: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      });
      process.send?.({ type: 'ci-relay:metrics', id } satisfies MetricsMessage);
    });
}

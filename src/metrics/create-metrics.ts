import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The relay's Prometheus metrics, on a registry of their own. */
export interface RelayMetrics {
  registry: Registry;
  /** Webhooks answered, by source and outcome (accepted, duplicate, ignored, ping, or the error code). */
  webhooks: Counter<'source' | 'outcome'>;
  /** Time from request to answer on the webhook route. */
  webhookSeconds: Histogram<'outcome'>;
  /** Events routed, by number of notifications they produced (0 = no route matched). */
  routed: Counter<'outcome'>;
  /** Delivery attempts, by sink, outcome (delivered, retry, dead) and failure reason. */
  deliveries: Counter<'sink' | 'outcome' | 'reason'>;
  /** Time of one delivery attempt. */
  deliverySeconds: Histogram<'sink'>;
  /** Config reloads (file change or SIGHUP), by result: `success`, or `failure` (the old config stays). */
  configReloads: Counter<'result'>;
}

/** Creates the metrics; process metrics too unless `defaults` is false (tests). */
export function createMetrics(defaults = true): RelayMetrics {
  const registry = new Registry();
  if (defaults) collectDefaultMetrics({ register: registry, prefix: 'ci_relay_' });
  const registers = [registry];
  return {
    registry,
    webhooks: new Counter({
      name: 'ci_relay_webhooks_total',
      help: 'Webhooks answered',
      labelNames: ['source', 'outcome'],
      registers,
    }),
    webhookSeconds: new Histogram({
      name: 'ci_relay_webhook_duration_seconds',
      help: 'Time to answer a webhook',
      labelNames: ['outcome'],
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1],
      registers,
    }),
    routed: new Counter({
      name: 'ci_relay_events_routed_total',
      help: 'Events routed',
      labelNames: ['outcome'],
      registers,
    }),
    deliveries: new Counter({
      name: 'ci_relay_delivery_attempts_total',
      help: 'Delivery attempts',
      labelNames: ['sink', 'outcome', 'reason'],
      registers,
    }),
    deliverySeconds: new Histogram({
      name: 'ci_relay_delivery_duration_seconds',
      help: 'Time of one delivery attempt',
      labelNames: ['sink'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    configReloads: new Counter({
      name: 'ci_relay_config_reload_total',
      help: 'Config reloads, by result (success, failure: the previous config stays in force)',
      labelNames: ['result'],
      registers,
    }),
  };
}

import type { SinkConfig } from '../../sinks';
import type { CompiledRoute } from '../routing/compiled-route';
import type { SourceConfig } from './source-config-schema';

/** What the relay keeps for the API, and for how long. */
export interface RetentionSettings {
  /** @defaultValue 7 */
  days: number;
  /** @defaultValue 100000 */
  events: number;
}

/** A loaded, validated config with defaults applied and routes compiled. */
export interface RelayConfig {
  /** Where it was read from. */
  file: string;
  /** @defaultValue 1 MiB */
  bodyLimitBytes: number;
  /** @defaultValue 3 days */
  deliveryTtlSeconds: number;
  /** @defaultValue 1 day */
  notificationTtlSeconds: number;
  /** @defaultValue 30 s */
  stalledAfterMs: number;
  /** How long and how many records the API keeps (events, deliveries, runs, stream, audit). */
  retention: RetentionSettings;
  sources: ReadonlyMap<string, SourceConfig>;
  sinks: ReadonlyMap<string, SinkConfig>;
  routes: readonly CompiledRoute[];
}

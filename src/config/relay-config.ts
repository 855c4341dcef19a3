import type { SinkConfig } from '../../sinks';
import type { CompiledRoute } from '../routing/compiled-route';
import type { ApiScope } from './api-config-schema';
import type { SourceConfig } from './source-config-schema';

/** Label limits of the CI metrics (`metrics.ciLabels`) and how long a queued job counts as waiting. */
export interface CiMetricsSettings {
  /** Globs of repositories with their own label value; absent: the first `maxSeries` seen. */
  repositories?: readonly string[] | undefined;
  /** @defaultValue 200 */
  maxSeries: number;
  /** @defaultValue false */
  branch: boolean;
  /** @defaultValue 3600 */
  jobWaitingTimeoutSeconds: number;
}

/** What the relay keeps for the API, and for how long. */
export interface RetentionSettings {
  /** @defaultValue 7 */
  days: number;
  /** @defaultValue 100000 */
  events: number;
}

/** A rate limit: at most `requests` in each window of `perSeconds`. */
export interface RateLimitSettings {
  requests: number;
  perSeconds: number;
}

/** One API key as loaded: only its hash is kept, never the key. */
export interface ApiKeySettings {
  id: string;
  /** SHA-256 of the key (32 bytes). */
  sha256: Buffer;
  scopes: ReadonlySet<ApiScope>;
}

/** `api.oauth` as loaded. */
export interface ApiOAuthSettings {
  issuer: string;
  audience: string;
  /** Absent: read from the issuer's discovery document. */
  jwksUri?: string;
  scopes: {
    /** @defaultValue `scope` */
    claim: string;
    read: string;
    write: string;
  };
}

/** The `api` section as loaded. */
export interface ApiSettings {
  keys: readonly ApiKeySettings[];
  /** Per principal (key id or token subject). @defaultValue 600 per 60 s */
  rateLimit: RateLimitSettings;
  oauth?: ApiOAuthSettings;
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
  /** How much a `--role worker` process lowers its CPU priority (`workers.nice`). @defaultValue 10 */
  workerNice: number;
  /** Event queues (`workers.eventPartitions`); undefined: 1 on a single Redis, 8 on a cluster. */
  eventPartitions?: number;
  /** `redis.waitForReplicas`: WAIT for replicas before answering 202; absent: off. */
  waitForReplicas?: { replicas: number; timeoutMs: number };
  /** How long and how many records the API keeps (events, deliveries, runs, stream, audit). */
  retention: RetentionSettings;
  /** The CI metrics' label limits and waiting-job timeout. */
  ciMetrics: CiMetricsSettings;
  sources: ReadonlyMap<string, SourceConfig>;
  sinks: ReadonlyMap<string, SinkConfig>;
  routes: readonly CompiledRoute[];
  /** The `/v1` API; absent: the API answers 404. */
  api?: ApiSettings;
}

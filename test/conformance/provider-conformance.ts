import type { SourceConfig } from '../../src/config/source-config-schema';
import type { ProviderName } from '../../src/event/ci-event-schema';

/** A webhook as a provider would send it, before signing. */
export interface UnsignedWebhook {
  /** The exact body bytes, as text. */
  body: string;
  contentType: string;
  /** Event-type and delivery headers (lower-case names), without credentials. */
  headers: Record<string, string>;
}

/**
 * What the shared provider conformance test needs to know of one provider: a configured source,
 * how the provider signs, and its fixtures. Every provider has one of these in this folder.
 */
export interface ProviderConformance {
  provider: ProviderName;
  /** A source with credentials, as it would be configured. */
  source: SourceConfig;
  /** False for schemes that only check a shared token or password, which cannot detect a tampered body. */
  signsBody: boolean;
  /** Credential headers for `webhook`, made the way the provider makes them (not with the relay's code). */
  sign(webhook: UnsignedWebhook, nowMs: number): Record<string, string>;
  /** Fixtures that normalize to at least one event, each with the headers the provider sends with it. */
  fixtures: ReadonlyArray<{ name: string; webhook: UnsignedWebhook }>;
}

import type { CiEventBody } from '../event/ci-event-schema';
import type { AuthKey, SourceConfig } from '../config/source-config-schema';

/** A webhook request as providers see it: lower-cased headers and the raw body bytes. */
export interface WebhookRequest {
  /** Lower-cased header names; repeated headers joined with ", ". */
  headers: Readonly<Record<string, string | undefined>>;
  /** The exact bytes that were signed. */
  rawBody: Buffer;
  /** Media type without parameters, lower-cased (`application/json`). */
  contentType: string;
}

/** Why a request failed authentication. `missing`: no credentials at all. */
export interface AuthFailure {
  code: 'missing_signature' | 'bad_signature' | 'stale_signature';
  message: string;
}

/** What a normalizer made of a payload. */
export type NormalizeResult =
  { type: 'events'; events: CiEventBody[] } | { type: 'ignored'; reason: string } | { type: 'ping' };

/** One CI provider: how it authenticates and how its payloads become CiEvents. Pure functions, no I/O. */
export interface Provider {
  /** Config keys this provider authenticates with. */
  readonly auth: readonly AuthKey[];
  /** `standard-webhooks`: its `secrets` are whsec_ keys (Standard Webhooks), not HMAC passwords. @defaultValue `hmac` */
  readonly secretKind?: 'hmac' | 'standard-webhooks';
  /** Content types it posts; `application/x-www-form-urlencoded` means a `payload=` field holding JSON. */
  readonly contentTypes: readonly string[];
  /** Checks the request's credentials against the source; undefined when they verify. */
  verify(request: WebhookRequest, source: SourceConfig, nowMs: number): AuthFailure | undefined;
  /**
   * Headers that carry the delivery id, lower-case. One of them sent empty is refused (400) before
   * {@link Provider.deliveryId} runs: a blank id would otherwise pass for "none" and dedup on the body digest.
   */
  readonly deliveryHeaders: readonly string[];
  /** The provider's delivery id, if it sends one; otherwise the relay uses a digest of the body. */
  deliveryId(request: WebhookRequest, payload: unknown): string | undefined;
  /** Turns a parsed payload into event bodies, or says why it was ignored. Throws PayloadError on a malformed one. */
  normalize(request: WebhookRequest, payload: unknown): NormalizeResult;
}

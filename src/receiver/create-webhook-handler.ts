import { createHash } from 'node:crypto';
import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import { monotonicFactory } from 'ulid';
import type { ConfigStore } from '../config/config-store';
import { authKeys } from '../config/source-config-schema';
import type { CiEvent, ProviderName } from '../event/ci-event-schema';
import { summarizeProblems } from '../event/summarize-problems';
import { validateEvent } from '../event/validate-event';
import type { RelayMetrics } from '../metrics/create-metrics';
import type { EnqueueEvents } from '../pipeline/enqueue-events';
import { providers as providerRegistry } from '../providers';
import { PayloadError } from '../providers/payload-error';
import type { SourceRateLimit } from './create-source-rate-limit';
import type { Provider, WebhookRequest } from '../providers/provider';
import { checkCharset } from './check-charset';
import { parsePayload } from './parse-payload';
import { sendJson } from './send-json';
import { WebhookError } from './webhook-error';

/** Dependencies of {@link createWebhookHandler}. */
export interface WebhookHandlerDeps {
  configStore: ConfigStore;
  enqueue: EnqueueEvents;
  log: Logger;
  metrics: RelayMetrics;
  /** @defaultValue `Date.now` */
  now?: () => number;
  /** Per-source rate limits; absent: none. */
  sourceRateLimit?: SourceRateLimit;
  /** The provider registry (tests pass their own). @defaultValue `providers` */
  providers?: Readonly<Record<ProviderName, Provider>>;
}

/** What a handled webhook is answered with. */
interface Answer {
  status: number;
  outcome: string;
  body: Record<string, unknown>;
  headers?: Record<string, string>;
}

/** Request-supplied text quoted in an answer, cut so no sender can make answers or log lines large. */
function clip(text: string, max = 100): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function headersOf(req: Request): Record<string, string | undefined> {
  const headers: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(req.headers))
    headers[name] = Array.isArray(value) ? value.join(', ') : value;
  return headers;
}

/**
 * `POST /hooks/:sourceId`: verify the signature on the raw bytes, parse, normalize, validate, and
 * enqueue; answer 202 only once the events are in Redis. The raw body is parsed by the route before.
 */
export function createWebhookHandler(deps: WebhookHandlerDeps) {
  const {
    configStore,
    enqueue,
    log,
    metrics,
    now = Date.now,
    sourceRateLimit,
    providers = providerRegistry,
  } = deps;
  // Event ids need uniqueness and time order, not secrecy: Math.random spares a crypto call per character.
  const newId = monotonicFactory(() => Math.random());

  const handle = async (sourceId: string, request: WebhookRequest): Promise<Answer> => {
    const config = configStore.current();
    const source = config.sources.get(sourceId);
    if (!source) throw new WebhookError('unknown_source', `no source "${clip(sourceId)}" is configured`);
    const provider = providers[source.provider];
    if (!provider.contentTypes.includes(request.contentType)) {
      throw new WebhookError(
        'unsupported_media_type',
        `content type "${clip(request.contentType) || '(none)'}" is not accepted; send ${provider.contentTypes.join(' or ')}`,
      );
    }
    checkCharset(request.headers['content-type']);
    const receivedMs = now();
    // Only a source with no credentials at all may skip verification, and only when it says insecure: true.
    if (source.insecure !== true || authKeys.some((key) => source[key] !== undefined)) {
      const failure = provider.verify(request, source, receivedMs);
      if (failure) throw new WebhookError(failure.code, failure.message);
    }
    // Counted after verification, so unsigned requests cannot use up a source's allowance.
    const limited = await sourceRateLimit?.(source.id);
    if (limited && !limited.ok) {
      throw new WebhookError('rate_limited', `source "${source.id}" is over its rate limit; retry later`, {
        retryAfterSeconds: limited.retryAfterSeconds,
      });
    }
    const blank = provider.deliveryHeaders.find((name) => request.headers[name]?.trim() === '');
    if (blank !== undefined)
      throw new WebhookError(
        'malformed_payload',
        `the ${blank} header is empty; send the delivery id or leave it out`,
      );
    const payload = parsePayload(request);
    let result;
    try {
      result = provider.normalize(request, payload);
    } catch (e) {
      if (e instanceof PayloadError) throw new WebhookError('invalid_event', clip(e.message, 2000));
      // Anything else is a normalizer meeting a value it did not expect: a bug, logged as one, but the
      // payload is what cannot be used, so it is refused (400) rather than answered 500, which the
      // provider would retry for days.
      log.error(
        { err: e, source: sourceId },
        '[receiver] normalizer failed on a payload; refused as invalid',
      );
      throw new WebhookError('invalid_event', 'the payload holds a value the relay cannot use', { cause: e });
    }
    if (result.type === 'ping') return { status: 200, outcome: 'ping', body: { ok: true, message: 'pong' } };
    if (result.type === 'ignored')
      return { status: 202, outcome: 'ignored', body: { ignored: true, reason: result.reason } };

    const deliveryId =
      provider.deliveryId(request, payload) ??
      `sha256:${createHash('sha256').update(request.rawBody).digest('hex')}`;
    const receivedAt = new Date(receivedMs).toISOString();
    const events = result.events.map((body): CiEvent => ({
      id: newId(receivedMs),
      schemaVersion: 1,
      source: source.id,
      provider: source.provider,
      deliveryId,
      ...body,
      receivedAt,
    }));
    for (const event of events) {
      const problems = validateEvent(event);
      if (problems.length > 0)
        throw new WebhookError(
          'invalid_event',
          `normalized event is invalid: ${summarizeProblems(problems)}`,
        );
    }
    if (events.length === 0)
      return { status: 202, outcome: 'ignored', body: { ignored: true, reason: 'no CI status in payload' } };
    let queued;
    try {
      queued = await enqueue(events, config.deliveryTtlSeconds);
    } catch (cause) {
      throw new WebhookError('queue_unavailable', 'the event queue (Redis) is unavailable; retry later', {
        cause,
      });
    }
    if (queued.duplicate) {
      return { status: 200, outcome: 'duplicate', body: { duplicate: true, deliveryId, events: queued.ids } };
    }
    log.info(
      { source: source.id, provider: source.provider, deliveryId, events: queued.ids },
      `[receiver] accepted ${source.id} delivery ${deliveryId}: ${queued.ids.join(', ')}`,
    );
    return { status: 202, outcome: 'accepted', body: { accepted: true, deliveryId, events: queued.ids } };
  };

  return async (req: Request<{ sourceId: string }>, res: Response): Promise<void> => {
    const stop = metrics.webhookSeconds.startTimer();
    const sourceId = req.params.sourceId;
    const request: WebhookRequest = {
      headers: headersOf(req),
      rawBody: Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0),
      contentType: (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '',
    };
    let answer: Answer;
    try {
      answer = await handle(sourceId, request);
    } catch (e) {
      if (!(e instanceof WebhookError)) throw e;
      const level = e.code === 'queue_unavailable' ? 'error' : 'warn';
      log[level]({ source: sourceId, code: e.code, err: e.cause ?? undefined }, `[receiver] ${e.message}`);
      answer = { status: e.status, outcome: e.code, body: { error: { code: e.code, message: e.message } } };
      if (e.retryAfterSeconds !== undefined) answer.headers = { 'retry-after': String(e.retryAfterSeconds) };
    }
    // Label by source only when it is configured, so random URLs cannot grow the metric's cardinality.
    const sourceLabel = configStore.current().sources.has(sourceId) ? sourceId : '(unknown)';
    metrics.webhooks.inc({ source: sourceLabel, outcome: answer.outcome });
    stop({ outcome: answer.outcome });
    sendJson(res, answer.status, answer.body, answer.headers);
  };
}

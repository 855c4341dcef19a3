import type { CiEvent, ProviderName } from '../event/ci-event-schema';
import { providerNames } from '../event/ci-event-schema';
import { validateEvent, validateEventBody } from '../event/validate-event';
import { providers } from '../providers';
import { PayloadError } from '../providers/payload-error';
import type { WebhookRequest } from '../providers/provider';
import { parsePayload } from '../receiver/parse-payload';
import { WebhookError } from '../receiver/webhook-error';

/** A route test's input that is not a CiEvent nor a provider webhook; the message says why. */
export class RouteTestInputError extends Error {
  override name = 'RouteTestInputError';
}

/** What a route test takes: a CiEvent (or a CiEvent body), or a provider's webhook, not verified. */
export type RouteTestInput =
  { event: unknown } | { provider: string; source?: string; headers?: Record<string, string>; body: unknown };

/** The relay's fields, filled in for an event that is only tested. */
function withRelayFields(body: object, provider: ProviderName, source: string): CiEvent {
  return {
    id: 'route-test',
    schemaVersion: 1,
    source,
    provider,
    deliveryId: 'route-test',
    receivedAt: new Date().toISOString(),
    ...body,
  } as CiEvent;
}

/**
 * The events a route test is about: the given CiEvent, or what `provider`'s normalizer makes of a raw
 * webhook (its headers say the event type, as the provider sends them). An ignored or ping webhook has
 * none; the reason is in `ignored`.
 */
export function routeTestEvents(
  input: RouteTestInput,
  source = 'route-test',
): { events: CiEvent[]; ignored?: string } {
  if ('event' in input) {
    const event = input.event;
    if (validateEvent(event).length === 0) return { events: [event as CiEvent] };
    const problems = validateEventBody(event);
    if (problems.length > 0)
      throw new RouteTestInputError(
        `not a CiEvent: ${problems.slice(0, 5).join('; ')}${problems.length > 5 ? ` (and ${problems.length - 5} more)` : ''}`,
      );
    return { events: [withRelayFields(event as object, 'generic', source)] };
  }
  const name = input.provider;
  if (!(providerNames as readonly string[]).includes(name))
    throw new RouteTestInputError(`unknown provider "${name}"; one of ${providerNames.join(', ')}`);
  const provider = providers[name as ProviderName];
  const headers: Record<string, string> = {};
  for (const [key, value] of Object.entries(input.headers ?? {})) headers[key.toLowerCase()] = String(value);
  const rawBody = Buffer.from(
    typeof input.body === 'string' ? input.body : JSON.stringify(input.body ?? null),
  );
  const contentType =
    (headers['content-type'] ?? 'application/json').split(';')[0]?.trim().toLowerCase() ?? '';
  const request: WebhookRequest = { headers, rawBody, contentType };
  let result;
  try {
    result = provider.normalize(request, parsePayload(request));
  } catch (e) {
    if (e instanceof PayloadError || e instanceof WebhookError) throw new RouteTestInputError(e.message);
    throw e;
  }
  if (result.type === 'ping') return { events: [], ignored: 'a ping: nothing to route' };
  if (result.type === 'ignored') return { events: [], ignored: result.reason };
  const events = result.events.map((body) => withRelayFields(body, name as ProviderName, source));
  for (const event of events) {
    const problems = validateEvent(event);
    if (problems.length > 0)
      throw new RouteTestInputError(`normalized event is invalid: ${problems.slice(0, 5).join('; ')}`);
  }
  return { events };
}

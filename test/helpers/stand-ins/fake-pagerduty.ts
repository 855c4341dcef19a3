import { field, startStandIn, type StandIn, type StandInAnswer } from './start-stand-in';

/** An incident the fake opened, by dedup key. */
export interface PagerDutyIncident {
  dedupKey: string;
  status: 'triggered' | 'resolved';
  /** Trigger events it got (the first opened it, later ones were deduplicated into it). */
  alerts: unknown[];
  resolves: number;
}

/** A stand-in for PagerDuty's Events API v2. */
export interface FakePagerDuty extends StandIn {
  /** `.../v2/enqueue` */
  apiUrl: string;
  routingKey: string;
  /** Valid events taken (202), in order. */
  events: Array<Record<string, unknown>>;
  incidents: Map<string, PagerDutyIncident>;
  errorAnswer(status: number, retryAfter?: string): StandInAnswer;
}

const invalid = (...errors: string[]): StandInAnswer => ({
  status: 400,
  body: { status: 'invalid event', message: 'Event object is invalid', errors },
});

/**
 * Answers 202 `{ status: 'success', message: 'Event processed', dedup_key }` to a valid event; 400
 * `{ status: 'invalid event', message, errors }` to an invalid one (unknown routing key, missing
 * summary/source/severity, bad event_action); 429 when throttled. A trigger opens an incident per
 * dedup key (or joins the open one); a resolve resolves it.
 * https://developer.pagerduty.com/docs/events-api-v2-overview#response-codes--retry-logic
 */
export async function startFakePagerDuty(): Promise<FakePagerDuty> {
  const routingKey = 'R0UT1NGKEYa1b2c3d4e5f6a7b8c9d0e1';
  const events: Array<Record<string, unknown>> = [];
  const incidents = new Map<string, PagerDutyIncident>();
  const errorAnswer = (status: number, retryAfter?: string): StandInAnswer => {
    const headers: Record<string, string> = retryAfter === undefined ? {} : { 'retry-after': retryAfter };
    if (status === 400) return invalid("'event_action' is invalid");
    if (status === 429)
      return {
        status: 429,
        headers,
        body: {
          status: 'throttle event',
          message: 'Requests for this service are arriving too quickly. Please retry later.',
        },
      };
    if (status === 413)
      return { status: 413, body: { status: 'invalid event', message: 'Request too large' } };
    return { status, headers, body: { status: 'error', message: `HTTP ${status}` } };
  };
  const standIn = await startStandIn((request) => {
    if (request.method !== 'POST' || request.path !== '/v2/enqueue')
      return { status: 404, body: 'Not Found' };
    const event = request.json as Record<string, unknown> | undefined;
    if (!event) return invalid('Event object is not valid JSON');
    if (event.routing_key !== routingKey)
      return invalid("Length of 'routing_key' is incorrect (should be 32 characters)");
    const action = event.event_action;
    const dedupKey = event.dedup_key;
    if (action !== 'trigger' && action !== 'resolve' && action !== 'acknowledge')
      return invalid("'event_action' is invalid");
    if (action === 'trigger') {
      const missing = ['summary', 'source', 'severity'].filter(
        (k) => typeof field(event, 'payload', k) !== 'string',
      );
      if (missing.length > 0) return invalid(...missing.map((k) => `'payload.${k}' is missing or blank`));
      if (!['critical', 'error', 'warning', 'info'].includes(String(field(event, 'payload', 'severity'))))
        return invalid("'payload.severity' is invalid");
    } else if (typeof dedupKey !== 'string') return invalid("'dedup_key' is missing or blank");
    const key = typeof dedupKey === 'string' ? dedupKey : `generated-${events.length}`;
    events.push(event);
    const open = incidents.get(key);
    if (action === 'trigger') {
      if (open && open.status === 'triggered') open.alerts.push(event);
      else incidents.set(key, { dedupKey: key, status: 'triggered', alerts: [event], resolves: 0 });
    } else if (action === 'resolve' && open) {
      open.status = 'resolved';
      open.resolves += 1;
    }
    return { status: 202, body: { status: 'success', message: 'Event processed', dedup_key: key } };
  });
  return { ...standIn, apiUrl: `${standIn.origin}/v2/enqueue`, routingKey, events, incidents, errorAnswer };
}

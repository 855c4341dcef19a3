import { Agent } from 'undici';
import { decodeStandardWebhookSecret } from '../../src/standard-webhooks/standard-webhook-secret';
import { signStandardWebhook } from '../../src/standard-webhooks/sign-standard-webhook';
import { postJson } from '../post-json';
import type { Sink, SinkDeps } from '../../src/contracts/sink';
import { defaultHttpTimeoutMs, type HttpSinkConfig } from './config';
import { toCloudEvent } from './to-cloud-event';

/**
 * POSTs `{ type, timestamp, data: CiEvent }` as JSON, signed with Standard Webhooks headers.
 * `webhook-id` is the notification id, the same on every retry, so the receiver can drop repeats.
 */
export function createHttpSink(config: HttpSinkConfig, deps: SinkDeps): Sink {
  const { now = Date.now } = deps;
  // undici's request() rather than fetch(): the same client, without the web-streams layer that made
  // fetch the largest CPU cost of a delivery. Connections are kept alive per sink.
  const agent = new Agent({ keepAliveTimeout: 30_000, connections: 32 });
  const key = config.secret === undefined ? undefined : decodeStandardWebhookSecret(config.secret);
  const timeoutMs = config.timeoutMs ?? defaultHttpTimeoutMs;
  const name = `http[${config.id}]`;
  return {
    id: config.id,
    type: 'http',
    async deliver(notification) {
      const { event } = notification;
      const sentAt = now();
      const { group } = notification;
      // A route's groupWait notification is one envelope in either format: `data` is the newest event
      // and `group.events` every job event of the window (docs/noise-control.md).
      const cdevents = config.format === 'cdevents' && group === undefined;
      const body = JSON.stringify(
        cdevents
          ? toCloudEvent(notification, new Date(sentAt))
          : {
              type: group ? 'ci.job.group' : `ci.${event.kind}.${event.status}`,
              timestamp: new Date(sentAt).toISOString(),
              data: event,
              ...(group && { group: { id: group.id, count: group.events.length, events: group.events } }),
            },
      );
      const timestamp = Math.floor(sentAt / 1000);
      const headers: Record<string, string> = {
        // Lower-cased so the relay's own headers below replace, not join, a configured `Content-Type`.
        ...Object.fromEntries(Object.entries(config.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v])),
        'content-type': cdevents ? 'application/cloudevents+json' : 'application/json',
        'webhook-id': notification.id,
        'webhook-timestamp': String(timestamp),
      };
      if (key) headers['webhook-signature'] = signStandardWebhook(key, notification.id, timestamp, body);
      await postJson(config.url, body, {
        name,
        dispatcher: agent,
        timeoutMs,
        headers,
        now,
        secrets: config.secret === undefined ? [] : [config.secret],
      });
    },
    close: () => agent.close(),
  };
}

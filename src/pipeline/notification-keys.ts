import { createHash } from 'node:crypto';
import type { CiEvent } from '../event/ci-event-schema';
import { attemptOf } from '../event/attempt-of';

const digest = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 32);

/** The id of the notification of `event` for (route, sink): the same every time it is computed, so retries keep it. */
export function notificationId(event: CiEvent, route: string, sink: string): string {
  return `msg_${digest(`${event.id}\n${route}\n${sink}`)}`;
}

/**
 * What makes two notifications the same news: one run (or job) and attempt reaching one status, for one
 * (route, sink). Providers send the same state more than once (redeliveries with new ids, retries);
 * people should read it once.
 */
export function notificationContentKey(event: CiEvent, route: string, sink: string): string {
  return digest(
    [
      route,
      sink,
      event.source,
      event.repository.name,
      event.pipeline.id,
      attemptOf(event),
      event.kind,
      event.job?.id ?? '',
      event.status,
    ].join('\n'),
  );
}

/** The id of a replayed notification: new for each replay, so it is sent again rather than taken for a retry. */
export function replayNotificationId(replayId: string, event: CiEvent, route: string, sink: string): string {
  return `msg_${digest(`replay\n${replayId}\n${event.id}\n${route}\n${sink}`)}`;
}

/** The Redis key that remembers the first notification of one piece of news (see {@link notificationContentKey}). */
export function notifiedKey(prefix: string, event: CiEvent, route: string, sink: string): string {
  return `${prefix}:notified:${notificationContentKey(event, route, sink)}`;
}

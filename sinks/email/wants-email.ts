import { failingStatuses } from '../../src/event/failing-statuses';
import type { CiEvent } from '../../src/event/ci-event-schema';
import { isFinished } from '../../src/event/finished-statuses';
import type { Notification } from '../../src/contracts/sink';
import {
  defaultEmailOn,
  type EmailEventFilter,
  type EmailRouteOptions,
  type EmailSinkConfig,
} from './config';

/** What each `on` value matches; an event is mailed when any configured value does. */
const matchers: Record<EmailEventFilter, (event: CiEvent) => boolean> = {
  finished: (e) => e.kind === 'pipeline' && isFinished(e.status),
  failed: (e) => e.kind === 'pipeline' && failingStatuses.has(e.status),
  broken: (e) => e.kind === 'pipeline' && e.transition === 'broken',
  fixed: (e) => e.kind === 'pipeline' && e.transition === 'fixed',
  started: (e) => e.kind === 'pipeline' && !isFinished(e.status),
  jobs: (e) => e.kind === 'job' && isFinished(e.status),
};

/** Whether an email sink set to `on` writes about `event`. */
export function wantsEmail(on: readonly EmailEventFilter[], event: CiEvent): boolean {
  return on.some((filter) => matchers[filter](event));
}

/** Why an email sink would not mail `notification` (its `on` filter, as the route's options set it), or undefined. */
export function emailSkipReason(config: EmailSinkConfig, notification: Notification): string | undefined {
  const on = (notification.options as EmailRouteOptions | undefined)?.on ?? config.on ?? defaultEmailOn;
  return wantsEmail(on, notification.event)
    ? undefined
    : `email on: [${on.join(', ')}] does not take a ${notification.event.kind} ${notification.event.status}`;
}

/** Whether `event` is a failure (the author is told about failures when `notifyAuthor` is set). */
export function isFailure(event: CiEvent): boolean {
  return failingStatuses.has(event.status);
}

/** The queue the receiver puts normalized events on; the router consumes it. */
export const eventQueueName = 'events';

/** Delayed jobs that close routes' `groupWait` windows, one per window. */
export const groupQueueName = 'groups';

/** The queue of one sink's notifications: one queue per sink, so each has its own rate limit and backlog. */
export function deliveryQueueName(sinkId: string): string {
  return `deliver-${sinkId}`;
}

/** Key prefix for everything the relay keeps in Redis. @defaultValue `ci-relay` */
export const defaultKeyPrefix = 'ci-relay';

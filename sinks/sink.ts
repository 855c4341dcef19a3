import type { Logger } from 'pino';
import type { CiEvent } from '../src/event/ci-event-schema';

/** One notification to deliver: an event, matched by a route, for one sink. */
export interface Notification {
  /** Stable id of this notification: the same on every retry (`webhook-id`, Message-ID, ...). */
  id: string;
  /** The route that matched. */
  route: string;
  /** The event, with the router's `transition` when it has one. */
  event: CiEvent;
}

/** Context of one delivery attempt. */
export interface DeliveryAttempt {
  /** 1 on the first attempt. */
  attempt: number;
}

/** A notification target. `deliver` resolves when the notification is out, or throws a DeliveryError. */
export interface Sink {
  readonly id: string;
  readonly type: string;
  deliver(notification: Notification, attempt: DeliveryAttempt): Promise<void>;
  /** Releases pooled connections. */
  close?(): Promise<void>;
}

/** What every sink factory is given besides its config. */
export interface SinkDeps {
  log: Logger;
  /** @defaultValue `globalThis.fetch` */
  fetch?: typeof globalThis.fetch;
  /** @defaultValue `Date.now` */
  now?: () => number;
}

/** Builds a sink from its validated config. */
export type SinkFactory<C> = (config: C, deps: SinkDeps) => Sink;

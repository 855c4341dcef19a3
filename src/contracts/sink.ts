// The contract between the pipeline (src/) and the sink plugins (sinks/). It lives in src/contracts/
// rather than in a top-level folder so that the build (tsconfig.build.json: src, sinks), the lint
// layering and the package layout stay as they are; it is a leaf that imports only the event types.
// src/ reaches sinks only through the registry (sinks/index.ts); sinks reach src/ only through this
// folder, src/event, src/redis and src/standard-webhooks (test/unit/module-layering.test.ts checks both).
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { CiEvent } from '../event/ci-event-schema';

/** One notification to deliver: an event, matched by a route, for one sink. */
export interface Notification {
  /** Stable id of this notification: the same on every retry (`webhook-id`, Message-ID, ...). */
  id: string;
  /** The route that matched. */
  route: string;
  /** The event, with the router's `transition` when it has one. */
  event: CiEvent;
  /** Version of the run's snapshot once this event was recorded in it (see {@link RunSnapshots}). */
  runVersion?: number;
  /** Set on notifications made by a replay: the replay's id. */
  replayOf?: string;
  /** The route's options for this sink (`routes[].options.<sinkId>`), validated by the sink's route-options schema. */
  options?: Record<string, unknown>;
  /** A route's `groupWait` notification: the job events of one run it stands for, oldest first; `event` is the newest. */
  group?: { id: string; events: CiEvent[] };
}

/** What the relay knows of one run: its latest pipeline event and the latest event of each of its jobs. */
export interface RunSnapshot {
  /** Goes up by one with every event recorded for the run. */
  version: number;
  pipeline: CiEvent | undefined;
  jobs: CiEvent[];
}

/** Read access to run snapshots, keyed by any event of the run. */
export interface RunSnapshots {
  get(event: CiEvent): Promise<RunSnapshot>;
}

/** Context of one delivery attempt. */
export interface DeliveryAttempt {
  /** 1 on the first attempt. */
  attempt: number;
}

/**
 * A notification target. `deliver` resolves when the notification is out (or `'skipped'` when the sink
 * chose not to send it, e.g. a newer state was already sent), or throws a DeliveryError.
 */
export interface Sink {
  readonly id: string;
  readonly type: string;
  deliver(notification: Notification, attempt: DeliveryAttempt): Promise<void | 'skipped'>;
  /** Releases pooled connections. */
  close?(): Promise<void>;
}

/** What every sink factory is given besides its config. */
export interface SinkDeps {
  log: Logger;
  /** Redis for state a sink keeps across workers and restarts (Slack message ids, ...), under `keyPrefix`. */
  redis?: Redis;
  /** Prefix for the sink's own Redis keys, e.g. `ci-relay:sink:team-slack`. */
  keyPrefix?: string;
  /** Run snapshots recorded by the router. */
  runs?: RunSnapshots;
  /** @defaultValue `globalThis.fetch` */
  fetch?: typeof globalThis.fetch;
  /** @defaultValue `Date.now` */
  now?: () => number;
}

/** Builds a sink from its validated config. */
export type SinkFactory<C> = (config: C, deps: SinkDeps) => Sink;

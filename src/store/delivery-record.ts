import { Type, type Static } from '@sinclair/typebox';
import { providerNames } from '../event/ci-event-schema';
import { stringEnum } from '../event/string-enum';

/** What became of a notification. `silenced`: a silence matched it; `skipped`: a sink filter or dedup dropped it. */
export const deliveryStates = ['pending', 'retrying', 'sent', 'failed', 'skipped', 'silenced'] as const;
/** One delivery state. */
export type DeliveryState = (typeof deliveryStates)[number];

/**
 * What one attempt (or one operator action) on a delivery came to. The router's noise controls:
 * `after` (held until N failures in a row), `muted` (a route's time interval), `repeatInterval`
 * (still failing, notified recently), `grouped` (joined a `groupWait` notification).
 */
export const attemptOutcomes = [
  'sent',
  'skipped',
  'retry',
  'failed',
  'rate_limited',
  'duplicate',
  'silenced',
  'retry_requested',
  'after',
  'muted',
  'repeatInterval',
  'grouped',
] as const;
/** One of {@link attemptOutcomes}. */
export type AttemptOutcome = (typeof attemptOutcomes)[number];

const dateTime = (description: string) => Type.String({ format: 'date-time', description });

/** One entry of a delivery's history. */
export const deliveryAttemptSchema = Type.Object(
  {
    at: dateTime('when it happened'),
    outcome: stringEnum(attemptOutcomes),
    attempt: Type.Optional(Type.Integer({ minimum: 1, description: 'attempt number, 1 for the first' })),
    error: Type.Optional(Type.String({ description: 'what went wrong, as the sink reported it' })),
    reason: Type.Optional(
      Type.String({
        description: 'failure class: clientError, serverError, authError, rateLimited, timeout, network',
      }),
    ),
    by: Type.Optional(Type.String({ description: 'who asked for it (API key id), for operator actions' })),
  },
  { additionalProperties: false },
);
/** One entry of a delivery's history. */
export type DeliveryAttemptRecord = Static<typeof deliveryAttemptSchema>;

/** A notification of one event for one (route, sink), and what became of it. */
export const deliverySchema = Type.Object(
  {
    id: Type.String({ description: 'the notification id: the same on every retry (webhook-id, Message-ID)' }),
    eventId: Type.String(),
    route: Type.String(),
    sink: Type.String(),
    state: stringEnum(deliveryStates),
    attempts: Type.Array(deliveryAttemptSchema),
    nextAttemptAt: Type.Optional(dateTime('when the next retry is due (state retrying)')),
    error: Type.Optional(Type.String({ description: 'the last error, while retrying or failed' })),
    createdAt: dateTime('when the notification was made'),
    updatedAt: dateTime('when its state last changed'),
    replayOf: Type.Optional(Type.String({ description: 'the replay that made it' })),
    source: Type.String(),
    provider: stringEnum(providerNames),
    repository: Type.String(),
    branch: Type.Optional(Type.String()),
    pipeline: Type.String({ description: 'pipeline name' }),
  },
  { additionalProperties: false, $id: 'https://ci-relay.dev/schemas/delivery.json', title: 'Delivery' },
);
/** A notification of one event for one (route, sink), and what became of it. */
export type Delivery = Static<typeof deliverySchema>;

/** The fields a delivery is created with; the rest is its history. */
export type DeliveryBase = Omit<Delivery, 'state' | 'attempts' | 'nextAttemptAt' | 'error' | 'updatedAt'>;

/** Parses a stored delivery; Lua's JSON encoder writes an empty list as `{}`. */
export function parseDelivery(json: string): Delivery {
  const delivery = JSON.parse(json) as Delivery;
  if (!Array.isArray(delivery.attempts)) delivery.attempts = [];
  return delivery;
}

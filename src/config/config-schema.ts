import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { ciStatuses, providerNames, transitions } from '../event/ci-event-schema';
import { stringEnum } from '../event/string-enum';
import { anySinkConfigSchema } from '../../sinks';
import { namedTimeIntervalSchema } from '../routing/time-intervals';
import { apiConfigSchema } from './api-config-schema';
import { durationPattern } from './duration';
import { sourceConfigSchema } from './source-config-schema';

const oneOrMany = <T extends TSchema>(item: T) => Type.Union([item, Type.Array(item, { minItems: 1 })]);
const glob = Type.String({ minLength: 1 });
const duration = (description: string) => Type.String({ pattern: durationPattern, description });

/** What a route matches on; every key optional; a list means "any of"; strings are globs. */
export const routeMatchSchema = Type.Object(
  {
    source: Type.Optional(oneOrMany(glob)),
    provider: Type.Optional(oneOrMany(stringEnum(providerNames))),
    repository: Type.Optional(oneOrMany(glob)),
    branch: Type.Optional(oneOrMany(glob)),
    tag: Type.Optional(oneOrMany(glob)),
    pipeline: Type.Optional(oneOrMany(glob)),
    job: Type.Optional(oneOrMany(glob)),
    kind: Type.Optional(oneOrMany(stringEnum(['pipeline', 'job']))),
    status: Type.Optional(oneOrMany(stringEnum(ciStatuses))),
    transition: Type.Optional(oneOrMany(stringEnum(transitions))),
    flaky: Type.Optional(
      Type.Boolean({
        description:
          'events the router marked flaky (failed, then passed on a re-run of the same commit), or not',
      }),
    ),
  },
  { additionalProperties: false },
);
/** A route's `match` block. */
export type RouteMatchConfig = Static<typeof routeMatchSchema>;

/** One routing rule. */
export const routeConfigSchema = Type.Object(
  {
    name: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]*$' }),
    match: Type.Optional(routeMatchSchema),
    sinks: Type.Array(Type.String({ minLength: 1 }), { minItems: 1, description: 'sink ids' }),
    continue: Type.Optional(
      Type.Boolean({ description: 'go on to later routes after a match', default: false }),
    ),
    sendResolved: Type.Optional(
      Type.Boolean({
        default: true,
        description:
          "once this route notified a sink of a failing pipeline (provider, repository, pipeline name, branch), the pipeline's next `fixed` goes to the same sinks through this route even if `match` would not take it",
      }),
    ),
    groupWait: Type.Optional(
      duration(
        'job events of one run that arrive within this window become one notification listing them (default 0s: off)',
      ),
    ),
    repeatInterval: Type.Optional(
      duration('`still_failing` of one pipeline is notified through this route at most once per interval'),
    ),
    after: Type.Optional(
      Type.Integer({
        minimum: 1,
        description:
          '`broken` is notified once the pipeline failed this many times in a row (default 1); its fix only when the failure was notified',
      }),
    ),
    activeTimeIntervals: Type.Optional(
      Type.Array(Type.String({ minLength: 1 }), {
        minItems: 1,
        description: 'names from the top-level `timeIntervals`: the route sends only within one of them',
      }),
    ),
    muteTimeIntervals: Type.Optional(
      Type.Array(Type.String({ minLength: 1 }), {
        minItems: 1,
        description:
          'names from the top-level `timeIntervals`: the route sends nothing within them (recorded as silenced, not held back)',
      }),
    ),
    options: Type.Optional(
      Type.Record(Type.String(), Type.Record(Type.String(), Type.Unknown()), {
        description:
          "per-sink options for this route, by sink id (e.g. a Slack channel); checked by that sink's schema",
      }),
    ),
  },
  { additionalProperties: false },
);
/** One routing rule as written. */
export type RouteConfig = Static<typeof routeConfigSchema>;

/** The relay config file (version 1). */
export const relayConfigSchema = Type.Object(
  {
    version: Type.Literal(1),
    receiver: Type.Optional(
      Type.Object(
        {
          bodyLimitBytes: Type.Optional(
            Type.Integer({ minimum: 1024, default: 1048576, description: 'larger webhooks get 413' }),
          ),
        },
        { additionalProperties: false },
      ),
    ),
    dedup: Type.Optional(
      Type.Object(
        {
          deliveryTtlSeconds: Type.Optional(
            Type.Integer({
              minimum: 60,
              default: 259200,
              description: 'how long a delivery id is remembered',
            }),
          ),
          notificationTtlSeconds: Type.Optional(
            Type.Integer({
              minimum: 60,
              default: 86400,
              description:
                'how long an identical notification (same run, job, attempt and status) is suppressed',
            }),
          ),
        },
        { additionalProperties: false },
      ),
    ),
    workers: Type.Optional(
      Type.Object(
        {
          stalledAfterMs: Type.Optional(
            Type.Integer({
              minimum: 1000,
              default: 30000,
              description:
                'a job whose worker died (no lock renewal) is handed to another worker after this long; read at start',
            }),
          ),
          nice: Type.Optional(
            Type.Integer({
              minimum: 0,
              maximum: 19,
              default: 10,
              description:
                'a --role worker process lowers its CPU priority by this much (Unix nice) at start, so that on cores it shares with a receiver, webhooks are answered first and the router works off the queue after; 0 keeps its priority; read at start',
            }),
          ),
          eventPartitions: Type.Optional(
            Type.Integer({
              minimum: 1,
              maximum: 256,
              description:
                'event queues, chosen by run (default 1 on a single Redis, 8 on a Redis Cluster); read at start, the same on every process',
            }),
          ),
        },
        { additionalProperties: false },
      ),
    ),
    redis: Type.Optional(
      Type.Object(
        {
          waitForReplicas: Type.Optional(
            Type.Object(
              {
                replicas: Type.Integer({ minimum: 1, maximum: 16 }),
                timeoutMs: Type.Integer({ minimum: 1, maximum: 4000 }),
              },
              {
                additionalProperties: false,
                description:
                  'answer a webhook 202 only once this many replicas have its events (WAIT), else 503; default off; read at start',
              },
            ),
          ),
        },
        { additionalProperties: false },
      ),
    ),
    metrics: Type.Optional(
      Type.Object(
        {
          ciLabels: Type.Optional(
            Type.Object(
              {
                repositories: Type.Optional(
                  Type.Array(Type.String({ minLength: 1 }), {
                    description:
                      'globs of the repositories that get their own label value; the rest count as "other"',
                  }),
                ),
                maxSeries: Type.Optional(
                  Type.Integer({
                    minimum: 1,
                    maximum: 10000,
                    default: 200,
                    description:
                      'at most this many (repository, pipeline) label pairs; later ones count as "other"',
                  }),
                ),
                branch: Type.Optional(
                  Type.Boolean({
                    default: false,
                    description: 'label CI metrics by branch too (many branches: many series)',
                  }),
                ),
              },
              { additionalProperties: false },
            ),
          ),
          jobWaitingTimeoutSeconds: Type.Optional(
            Type.Integer({
              minimum: 60,
              default: 3600,
              description: 'a queued job that never starts leaves ci_jobs_waiting after this long',
            }),
          ),
        },
        { additionalProperties: false },
      ),
    ),
    retention: Type.Optional(
      Type.Object(
        {
          days: Type.Optional(
            Type.Number({
              exclusiveMinimum: 0,
              maximum: 366,
              default: 7,
              description:
                'events, deliveries, the run board, the stream and the audit log are kept this long',
            }),
          ),
          events: Type.Optional(
            Type.Integer({
              minimum: 100,
              default: 100000,
              description: 'at most this many events (and their deliveries) are kept; the oldest go first',
            }),
          ),
        },
        { additionalProperties: false },
      ),
    ),
    sources: Type.Array(sourceConfigSchema, { minItems: 1 }),
    sinks: Type.Array(anySinkConfigSchema),
    routes: Type.Array(routeConfigSchema),
    timeIntervals: Type.Optional(
      Type.Array(namedTimeIntervalSchema, {
        description:
          "named time intervals (Alertmanager's `time_intervals`), for routes' `activeTimeIntervals` and `muteTimeIntervals`",
      }),
    ),
    api: Type.Optional(apiConfigSchema),
  },
  {
    additionalProperties: false,
    $id: 'https://ci-relay.dev/schemas/relay-config.json',
    title: 'ci-relay config',
  },
);
/** The config file as written (after `${ENV}` substitution). */
export type RelayConfigFile = Static<typeof relayConfigSchema>;

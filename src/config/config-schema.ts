import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { ciStatuses, providerNames, transitions } from '../event/ci-event-schema';
import { stringEnum } from '../event/string-enum';
import { anySinkConfigSchema } from '../../sinks';
import { apiConfigSchema } from './api-config-schema';
import { sourceConfigSchema } from './source-config-schema';

const oneOrMany = <T extends TSchema>(item: T) => Type.Union([item, Type.Array(item, { minItems: 1 })]);
const glob = Type.String({ minLength: 1 });

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

import { ciEventSchema, ciStatuses, providerNames, transitions } from '../event/ci-event-schema';
import { insightEventBudget, insightWindows } from '../insights/compute-insights';
import { auditActions, auditEntrySchema } from '../store/create-audit-log';
import { deliverySchema, deliveryStates } from '../store/delivery-record';
import { runItemSchema } from '../store/run-board-item';
import { silenceRequestSchema, silenceSchema, silenceStates } from '../store/create-silence-store';
import { replayRequestSchema } from './routes/replay-routes';
import { routeTestRequestSchema } from './routes/route-test-routes';
import { flakyJobSchema } from './routes/flaky-jobs-routes';

type Json = Record<string, unknown>;

/** A TypeBox schema as plain JSON Schema, without its `$id` (components are named by their key). */
function component(schema: object): Json {
  const { $id: _id, ...rest } = JSON.parse(JSON.stringify(schema)) as Json;
  return rest;
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: Json, description: string) => ({
  description,
  content: { 'application/json': { schema } },
});
const errorAnswer = (description: string) => json(ref('Error'), description);

const stringList = (description: string, values?: readonly string[]) => ({
  in: 'query',
  style: 'form',
  explode: true,
  description: `${description}; repeat for "any of"`,
  schema: { type: 'array', items: values ? { type: 'string', enum: [...values] } : { type: 'string' } },
});
const globList = (name: string, field: string) => ({
  name,
  ...stringList(`glob on ${field} (as in routes)`),
});
const timeParam = (name: string, description: string) => ({
  name,
  in: 'query',
  description: `${description}: an ISO 8601 date-time, or a duration back from now (30m, 2h, 7d)`,
  schema: { type: 'string' },
});
const paging = [
  {
    name: 'limit',
    in: 'query',
    description: 'page size',
    schema: { type: 'integer', minimum: 1, maximum: 500, default: 50 },
  },
  { name: 'cursor', in: 'query', description: "the previous page's nextCursor", schema: { type: 'string' } },
];
const eventFilters = [
  globList('source', 'the source id'),
  { name: 'provider', ...stringList('provider', providerNames) },
  globList('repository', 'repository.name'),
  globList('branch', 'branch'),
  globList('tag', 'tag'),
  globList('pipeline', 'pipeline.name'),
  globList('job', 'job.name'),
  { name: 'kind', ...stringList('kind', ['pipeline', 'job']) },
  { name: 'status', ...stringList('status', ciStatuses) },
  { name: 'transition', ...stringList('transition', transitions) },
];
const idParam = (what: string) => ({
  name: 'id',
  in: 'path',
  required: true,
  description: what,
  schema: { type: 'string' },
});
const page = (item: string) => ({
  type: 'object',
  required: ['items'],
  additionalProperties: false,
  properties: { items: { type: 'array', items: ref(item) }, nextCursor: { type: 'string' } },
});

/** Answers every authenticated operation can give besides its own. */
const authAnswers = {
  '401': errorAnswer('no key, or an unknown or expired one'),
  '403': errorAnswer('the key lacks the scope'),
  '404': errorAnswer('no such resource, or the API is not configured (no `api` section)'),
  '429': errorAnswer('over the rate limit; see Retry-After and RateLimit-* headers'),
};
const read = (summary: string, parameters: unknown[], ok: Json, extra: Json = {}) => ({
  summary,
  security: [{ bearer: ['read'] }],
  parameters,
  responses: { '200': ok, '400': errorAnswer('a bad parameter'), ...authAnswers, ...extra },
});
const write = (summary: string, body: Json | undefined, answers: Json, parameters: unknown[] = []) => ({
  summary,
  security: [{ bearer: ['write'] }],
  parameters,
  ...(body && { requestBody: { required: true, content: { 'application/json': { schema: body } } } }),
  responses: { ...answers, '400': errorAnswer('a bad body'), ...authAnswers },
});

const suppression = {
  type: 'object',
  required: ['kind', 'reason'],
  additionalProperties: false,
  properties: {
    kind: {
      type: 'string',
      enum: ['sinkFilter', 'dedup', 'silence', 'timeWindow', 'after', 'repeatInterval', 'grouping'],
    },
    reason: { type: 'string' },
  },
};

/** The OpenAPI 3.1 document of `/v1`, built from the same schemas the code uses, so it cannot drift. */
export const openApiDocument = {
  openapi: '3.1.0',
  info: {
    title: 'ci-relay real-time API',
    version: '1',
    description:
      'Events, the run board, deliveries, retry and replay, route tests, silences, the audit log and a live stream. `/v1` only changes compatibly (fields may be added).',
  },
  jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
  servers: [{ url: '/' }],
  components: {
    securitySchemes: {
      bearer: {
        type: 'http',
        scheme: 'bearer',
        description: 'an API key from the config, or a JWT from the configured OAuth issuer',
      },
    },
    schemas: {
      Error: {
        type: 'object',
        required: ['error'],
        additionalProperties: false,
        properties: {
          error: {
            type: 'object',
            required: ['code', 'message'],
            additionalProperties: false,
            properties: { code: { type: 'string' }, message: { type: 'string' } },
          },
        },
      },
      CiEvent: component(ciEventSchema),
      Delivery: component(deliverySchema),
      Run: component(runItemSchema),
      AuditEntry: component(auditEntrySchema),
      ReplayRequest: component(replayRequestSchema),
      RouteTestRequest: component(routeTestRequestSchema),
      Silence: component(silenceSchema),
      FlakyJob: component(flakyJobSchema),
      SilenceRequest: component(silenceRequestSchema),
      EventPage: page('CiEvent'),
      RunPage: page('Run'),
      DeliveryPage: page('Delivery'),
      AuditPage: page('AuditEntry'),
      Insights: insightsSchema(),
    },
  },
  paths: {
    '/v1/openapi.json': {
      get: {
        summary: 'this document',
        security: [],
        responses: { '200': json({ type: 'object' }, 'the OpenAPI document') },
      },
    },
    '/v1/events': {
      get: read(
        'CiEvents received, newest first',
        [
          ...eventFilters,
          timeParam('since', 'received at or after'),
          timeParam('until', 'received at or before'),
          ...paging,
        ],
        json(ref('EventPage'), 'a page of events'),
      ),
    },
    '/v1/events/{id}': {
      get: read(
        'one event and the notifications it produced',
        [idParam('event id')],
        json(
          {
            type: 'object',
            required: ['event', 'notifications'],
            additionalProperties: false,
            properties: { event: ref('CiEvent'), notifications: { type: 'array', items: ref('Delivery') } },
          },
          'the event',
        ),
      ),
    },
    '/v1/runs': {
      get: read(
        'the run board: the latest run of each (provider, repository, pipeline, branch), most recently updated first',
        [
          ...eventFilters,
          timeParam('since', 'updated at or after'),
          timeParam('until', 'updated at or before'),
          ...paging,
        ],
        json(ref('RunPage'), 'a page of board lines'),
      ),
    },
    '/v1/deliveries': {
      get: read(
        'notifications and what became of them, newest first',
        [
          { name: 'state', ...stringList('state', deliveryStates) },
          { name: 'sink', ...stringList('sink id') },
          { name: 'route', ...stringList('route name') },
          { name: 'event', ...stringList('event id') },
          timeParam('since', 'created at or after'),
          timeParam('until', 'created at or before'),
          ...paging,
        ],
        json(ref('DeliveryPage'), 'a page of deliveries'),
      ),
    },
    '/v1/deliveries/{id}': {
      get: read(
        'one delivery, with every attempt',
        [idParam('notification id')],
        json(ref('Delivery'), 'the delivery'),
      ),
    },
    '/v1/deliveries/{id}/retry': {
      post: write(
        'send a failed delivery again, with the same notification id',
        undefined,
        {
          '202': json(
            {
              type: 'object',
              required: ['id', 'state'],
              additionalProperties: false,
              properties: { id: { type: 'string' }, state: { const: 'pending' } },
            },
            'queued again',
          ),
          '409': errorAnswer('the delivery is not failed, or its sink or event is gone'),
        },
        [idParam('notification id')],
      ),
    },
    '/v1/replay': {
      post: write('route the events of a time range again, as new notifications', ref('ReplayRequest'), {
        '200': json(replayAnswer(), 'dry run: what would be sent'),
        '202': json(replayAnswer(), 'queued'),
      }),
    },
    '/v1/route-test': {
      post: write(
        'which routes and sinks an event or a raw webhook reaches, and what would suppress each',
        ref('RouteTestRequest'),
        {
          '200': json(
            {
              type: 'object',
              required: ['results'],
              additionalProperties: false,
              properties: {
                ignored: { type: 'string', description: 'why a raw webhook gave no event' },
                results: {
                  type: 'array',
                  items: {
                    type: 'object',
                    required: ['event', 'routes'],
                    additionalProperties: false,
                    properties: {
                      event: ref('CiEvent'),
                      routes: {
                        type: 'array',
                        items: {
                          type: 'object',
                          required: ['route', 'continue', 'sinks'],
                          additionalProperties: false,
                          properties: {
                            route: { type: 'string' },
                            continue: { type: 'boolean' },
                            sinks: {
                              type: 'array',
                              items: {
                                type: 'object',
                                required: ['sink', 'type', 'wouldSend', 'suppressedBy'],
                                additionalProperties: false,
                                properties: {
                                  sink: { type: 'string' },
                                  type: { type: 'string' },
                                  wouldSend: { type: 'boolean' },
                                  suppressedBy: { type: 'array', items: suppression },
                                },
                              },
                            },
                          },
                        },
                      },
                    },
                  },
                },
              },
            },
            'the routes and sinks of each event',
          ),
        },
      ),
    },
    '/v1/flaky-jobs': {
      get: read(
        'the flakiest jobs first: how often each job (by repository, pipeline and job name) passed after a failed try in the same run',
        [
          globList('repository', 'repository.name'),
          {
            name: 'limit',
            in: 'query',
            description: 'at most this many',
            schema: { type: 'integer', minimum: 1, maximum: 500, default: 50 },
          },
        ],
        json(
          {
            type: 'object',
            required: ['items'],
            additionalProperties: false,
            properties: { items: { type: 'array', items: ref('FlakyJob') } },
          },
          'flaky jobs, most often first',
        ),
      ),
    },
    '/v1/silences': {
      get: read(
        'silences, newest first (expired ones are kept 7 days)',
        [{ name: 'state', ...stringList('state', silenceStates) }],
        json(
          {
            type: 'object',
            required: ['items'],
            additionalProperties: false,
            properties: { items: { type: 'array', items: ref('Silence') } },
          },
          'the silences',
        ),
      ),
      post: write(
        'silence the notifications that match (route match keys) from startsAt until endsAt; every instance honours it',
        ref('SilenceRequest'),
        { '201': json(ref('Silence'), 'the silence') },
      ),
    },
    '/v1/silences/{id}': {
      get: read('one silence', [idParam('silence id')], json(ref('Silence'), 'the silence')),
      delete: write(
        'expire a silence now (it is kept, expired, for 7 days)',
        undefined,
        { '200': json(ref('Silence'), 'the silence, expired') },
        [idParam('silence id')],
      ),
    },
    '/v1/audit': {
      get: read(
        'who did what, newest first',
        [
          { name: 'action', ...stringList('action', auditActions) },
          { name: 'who', ...stringList('key id') },
          timeParam('since', 'at or after'),
          timeParam('until', 'at or before'),
          ...paging,
        ],
        json(ref('AuditPage'), 'a page of audit records'),
      ),
    },
    '/v1/insights': {
      get: read(
        'CI figures per pipeline over the last 24 h or 7 d, from the stored events: runs, success rate, p50/p95 duration, queue time, the jobs that fail most',
        [
          {
            name: 'window',
            in: 'query',
            description: 'how far back',
            schema: { type: 'string', enum: Object.keys(insightWindows), default: '24h' },
          },
          ...eventFilters.filter((p) => ['provider', 'repository', 'pipeline', 'branch'].includes(p.name)),
        ],
        json(ref('Insights'), 'the figures'),
      ),
    },
    '/v1/whoami': {
      get: read(
        "the caller's key id and scopes",
        [],
        json(
          {
            type: 'object',
            required: ['id', 'kind', 'scopes'],
            additionalProperties: false,
            properties: {
              id: { type: 'string', description: 'the key id, or oauth:<subject>' },
              kind: { type: 'string', enum: ['key', 'oauth'] },
              scopes: { type: 'array', items: { type: 'string', enum: ['read', 'write'] } },
            },
          },
          'who is calling',
        ),
      ),
    },
    '/v1/stream': {
      get: read(
        'Server-Sent Events: `ci-event` (data: a CiEvent) and `delivery` (data: a Delivery after each change); `reset` when Last-Event-ID is older than what is retained',
        [
          ...eventFilters,
          { name: 'types', ...stringList('entry types', ['ci-event', 'delivery']) },
          {
            name: 'lastEventId',
            in: 'query',
            description: 'as the Last-Event-ID header, for clients that cannot set it',
            schema: { type: 'string' },
          },
          {
            name: 'Last-Event-ID',
            in: 'header',
            description: 'resume after this entry',
            schema: { type: 'string' },
          },
        ],
        { description: 'the stream', content: { 'text/event-stream': { schema: { type: 'string' } } } },
      ),
    },
  },
} as const;

function insightsSchema(): Json {
  const nullable = (schema: Json) => ({ oneOf: [schema, { type: 'null' }] });
  const percentiles = nullable({
    type: 'object',
    required: ['p50', 'p95', 'count'],
    additionalProperties: false,
    properties: { p50: { type: 'number' }, p95: { type: 'number' }, count: { type: 'integer' } },
  });
  const figures = {
    runs: { type: 'integer', description: 'finished runs, one per run id and attempt' },
    succeeded: { type: 'integer' },
    failed: { type: 'integer', description: 'failure or error' },
    cancelled: { type: 'integer' },
    successRate: {
      ...nullable({ type: 'number', minimum: 0, maximum: 1 }),
      description: 'succeeded / (succeeded + failed)',
    },
    durationMs: { ...percentiles, description: 'duration of finished runs' },
    queueMs: { ...percentiles, description: 'jobs: startedAt - createdAt (waiting for a runner)' },
    failingJobs: {
      type: 'array',
      maxItems: 5,
      items: {
        type: 'object',
        required: ['name', 'failures', 'runs'],
        additionalProperties: false,
        properties: { name: { type: 'string' }, failures: { type: 'integer' }, runs: { type: 'integer' } },
      },
    },
  };
  const figureKeys = Object.keys(figures);
  const numbers = (nullableItems: boolean) => ({
    type: 'array',
    items: nullableItems ? { type: ['number', 'null'] } : { type: 'integer' },
  });
  return {
    type: 'object',
    required: ['window', 'since', 'until', 'events', 'truncated', 'totals', 'groups', 'series'],
    additionalProperties: false,
    properties: {
      window: { type: 'string', enum: Object.keys(insightWindows) },
      since: { type: 'string', format: 'date-time' },
      until: { type: 'string', format: 'date-time' },
      events: { type: 'integer', description: 'events read' },
      truncated: {
        type: 'boolean',
        description: `true when the ${insightEventBudget}-event budget ended the reading before the window's start`,
      },
      totals: { type: 'object', required: figureKeys, additionalProperties: false, properties: figures },
      groups: {
        type: 'array',
        items: {
          type: 'object',
          required: ['provider', 'repository', 'pipeline', ...figureKeys],
          additionalProperties: false,
          properties: {
            provider: { type: 'string' },
            repository: { type: 'string' },
            pipeline: { type: 'string' },
            ...figures,
          },
        },
      },
      series: {
        type: 'object',
        description: 'per chart bucket (1 h for 24h, 6 h for 7d), all groups together',
        required: ['bucketMs', 'start', 'runs', 'failed', 'p50DurationMs', 'p95DurationMs', 'p50QueueMs'],
        additionalProperties: false,
        properties: {
          bucketMs: { type: 'integer' },
          start: { type: 'array', items: { type: 'string', format: 'date-time' } },
          runs: numbers(false),
          failed: numbers(false),
          p50DurationMs: numbers(true),
          p95DurationMs: numbers(true),
          p50QueueMs: numbers(true),
        },
      },
    },
  };
}

function replayAnswer(): Json {
  return {
    type: 'object',
    required: ['replayId', 'dryRun', 'count', 'events'],
    additionalProperties: false,
    properties: {
      replayId: { type: 'string' },
      dryRun: { type: 'boolean' },
      count: { type: 'integer', description: 'notifications' },
      events: { type: 'integer', description: 'events that produced at least one' },
      notifications: {
        type: 'array',
        description: 'dry run: the first 1000 notifications it would make',
        items: {
          type: 'object',
          required: ['eventId', 'route', 'sink'],
          additionalProperties: false,
          properties: { eventId: { type: 'string' }, route: { type: 'string' }, sink: { type: 'string' } },
        },
      },
      truncated: { type: 'boolean' },
    },
  };
}

import { Type, type Static } from '@sinclair/typebox';
import { stringEnum } from './string-enum';

/** Providers a source can be configured with. */
export const providerNames = [
  'github',
  'gitlab',
  'circleci',
  'buildkite',
  'bitbucket',
  'gitea',
  'forgejo',
  'jenkins',
  'azure-devops',
  'travis',
  'generic',
] as const;
/** One of {@link providerNames}. */
export type ProviderName = (typeof providerNames)[number];

/** Normalized CI statuses. */
export const ciStatuses = [
  'queued',
  'running',
  'success',
  'failure',
  'cancelled',
  'skipped',
  'error',
  'waiting',
] as const;
/** One of {@link ciStatuses}. */
export type CiStatus = (typeof ciStatuses)[number];

/** Run-history transitions the router assigns to finished pipelines. */
export const transitions = ['broken', 'fixed', 'still_failing', 'passed'] as const;
/** One of {@link transitions}. */
export type Transition = (typeof transitions)[number];

const text = (description: string) => Type.String({ minLength: 1, description });
const optionalText = (description: string) => Type.Optional(text(description));
const url = (description: string) => Type.Optional(Type.String({ minLength: 1, description }));
const timestamp = (description: string) => Type.Optional(Type.String({ format: 'date-time', description }));
const strict = { additionalProperties: false } as const;
/** A count or duration: bounded so a hostile 1e20 is refused by the schema, not carried into sinks. */
const wholeNumber = (minimum: number) => Type.Integer({ minimum, maximum: Number.MAX_SAFE_INTEGER });

const person = Type.Object(
  {
    login: optionalText('provider login'),
    name: optionalText('display name'),
    email: optionalText('email address'),
  },
  strict,
);

/** The fields a provider's payload is normalized into: a CiEvent less what the relay assigns. */
export const ciEventBodySchema = Type.Object(
  {
    kind: stringEnum(['pipeline', 'job'], 'a whole run or one job in it'),
    status: stringEnum(ciStatuses, 'normalized status'),
    providerStatus: text("the provider's own word(s) for the status"),
    repository: Type.Object({ name: text('owner/repo or the project path'), url: url('web URL') }, strict),
    branch: optionalText('branch, without refs/heads/'),
    tag: optionalText('tag, without refs/tags/'),
    pullRequest: Type.Optional(
      Type.Object({ number: wholeNumber(0), url: url('web URL of the pull request') }, strict),
    ),
    commit: Type.Object(
      {
        sha: text('commit id'),
        message: Type.Optional(Type.String()),
        url: url('web URL of the commit'),
        author: Type.Optional(person),
      },
      strict,
    ),
    pipeline: Type.Object(
      {
        id: text('run id, stable across its jobs'),
        name: text('workflow / pipeline name'),
        number: Type.Optional(wholeNumber(0)),
        attempt: Type.Optional(wholeNumber(1)),
        url: url('web URL of the run'),
      },
      strict,
    ),
    job: Type.Optional(
      Type.Object(
        {
          id: text('job id'),
          name: text('job name'),
          url: url('web URL of the job'),
          stage: optionalText('stage'),
          runnerLabels: Type.Optional(
            Type.Array(Type.String({ minLength: 1, maxLength: 200 }), {
              maxItems: 50,
              description:
                'the runner labels or tags the job asked for (GitHub labels, GitLab tags, Buildkite agent rules)',
            }),
          ),
        },
        strict,
      ),
    ),
    actor: Type.Optional(person),
    createdAt: timestamp('when the run or job was created'),
    startedAt: timestamp('when it started'),
    finishedAt: timestamp('when it finished'),
    durationMs: Type.Optional(wholeNumber(0)),
  },
  { ...strict, $id: 'https://ci-relay.dev/schemas/ci-event-body.json' },
);
/** What a normalizer produces. */
export type CiEventBody = Static<typeof ciEventBodySchema>;

/** The normalized event, schema version 1. */
export const ciEventSchema = Type.Composite(
  [
    Type.Object({
      id: text('relay-assigned, unique, sortable by time'),
      schemaVersion: Type.Literal(1),
      source: text('the configured source id it came in on'),
      provider: stringEnum(providerNames),
      deliveryId: text("provider's delivery id, or a digest of the body"),
      receivedAt: Type.String({ format: 'date-time' }),
      transition: Type.Optional(stringEnum(transitions, 'set by the router for finished pipelines')),
      flaky: Type.Optional(
        Type.Boolean({
          description:
            'set by the router: this pipeline or job passed on a re-run of the same commit after it failed',
        }),
      ),
    }),
    ciEventBodySchema,
  ],
  {
    ...strict,
    $id: 'https://ci-relay.dev/schemas/ci-event.json',
    title: 'CiEvent',
    description: 'A CI run or job status, normalized by ci-relay (schema version 1).',
  },
);
/** The normalized event. */
export type CiEvent = Static<typeof ciEventSchema>;

import { Type, type Static } from '@sinclair/typebox';
import { stringEnum } from '../../src/event/string-enum';
import { sinkConfigSchema } from '../sink-config-schema';

const strict = { additionalProperties: false } as const;

/**
 * Which events an email sink writes about; an event is mailed when any listed value matches it.
 * `finished`: a run ended (any end status, re-runs included); `failed`: a run ended in failure or error;
 * `broken`: a run failed after the previous run of the same workflow and branch passed; `fixed`: a run
 * passed after the previous one failed; `started`: a run was queued, is waiting or is running;
 * `jobs`: a single job ended (any end status).
 */
export const emailEventFilters = ['finished', 'failed', 'broken', 'fixed', 'started', 'jobs'] as const;
/** One of {@link emailEventFilters}. */
export type EmailEventFilter = (typeof emailEventFilters)[number];

/** @defaultValue `[finished]`: one mail when a run (or a re-run) ends, none for starts or single jobs. */
export const defaultEmailOn: readonly EmailEventFilter[] = ['finished'];

/** An address, `ci@example.com` or `CI <ci@example.com>`; checked at load by {@link emailConfigProblems}. */
const address = (description: string) => Type.String({ minLength: 3, description });
const addressList = (description: string) =>
  Type.Array(address('an address, `a@example.com` or `Name <a@example.com>`'), {
    minItems: 1,
    description,
  });

/** TLS options of the SMTP connection (Node `tls.connect` options). */
export const emailTlsSchema = Type.Object(
  {
    rejectUnauthorized: Type.Optional(
      Type.Boolean({ default: true, description: 'refuse a server certificate that does not verify' }),
    ),
    servername: Type.Optional(Type.String({ minLength: 1, description: 'SNI / certificate host name' })),
    minVersion: Type.Optional(stringEnum(['TLSv1.2', 'TLSv1.3'], 'lowest TLS version to accept')),
  },
  strict,
);

/** SMTP server as an object: host, port, implicit TLS or STARTTLS, credentials, TLS options. */
export const smtpServerSchema = Type.Object(
  {
    host: Type.String({ minLength: 1 }),
    port: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 65535, description: 'default 465 when secure, else 587' }),
    ),
    secure: Type.Optional(
      Type.Boolean({
        default: false,
        description: 'TLS from the first byte (port 465); false: STARTTLS when the server offers it',
      }),
    ),
    requireTLS: Type.Optional(
      Type.Boolean({ default: false, description: 'fail unless STARTTLS succeeds (never send in clear)' }),
    ),
    auth: Type.Optional(
      Type.Object({ user: Type.String({ minLength: 1 }), pass: Type.String({ minLength: 1 }) }, strict),
    ),
    tls: Type.Optional(emailTlsSchema),
  },
  strict,
);

/** Message templates (Handlebars); each one left out keeps the built-in one. */
export const emailTemplatesSchema = Type.Object(
  {
    subject: Type.Optional(Type.String({ minLength: 1, description: 'default: {{headline}}' })),
    text: Type.Optional(Type.String({ minLength: 1, description: 'plain-text body' })),
    html: Type.Optional(Type.String({ minLength: 1, description: 'HTML body; values are HTML-escaped' })),
  },
  strict,
);

const onSchema = Type.Array(stringEnum(emailEventFilters), {
  minItems: 1,
  uniqueItems: true,
  description: 'which events are mailed (any listed value matches); default [finished]',
});

/** Config of an `email` sink. */
export const emailSinkConfigSchema = sinkConfigSchema('email', {
  smtp: Type.Union([
    Type.String({ pattern: '^smtps?://', description: 'smtp://[user:pass@]host[:port] or smtps://...' }),
    smtpServerSchema,
  ]),
  pool: Type.Optional(
    Type.Boolean({ default: true, description: 'keep SMTP connections open and reuse them' }),
  ),
  from: address('sender, e.g. `ci-relay <ci@example.com>`; its domain also names Message-IDs'),
  to: addressList('recipients'),
  cc: Type.Optional(addressList('copy recipients')),
  notifyAuthor: Type.Optional(
    Type.Boolean({ default: false, description: "also send failures to the commit author's email" }),
  ),
  on: Type.Optional(onSchema),
  templates: Type.Optional(emailTemplatesSchema),
  timeoutMs: Type.Optional(
    Type.Integer({
      minimum: 1000,
      maximum: 300000,
      default: 30000,
      description: 'per attempt: connect, talk and hand over the message',
    }),
  ),
});
/** Config of an `email` sink. */
export type EmailSinkConfig = Static<typeof emailSinkConfigSchema>;
/** The `smtp` key of an email sink: a URL or a server object. */
export type SmtpConfig = EmailSinkConfig['smtp'];

/** What a route may set for an email sink (`routes[].options.<sinkId>`); each key replaces the sink's. */
export const emailRouteOptionsSchema = Type.Object(
  {
    to: Type.Optional(addressList('recipients for this route, instead of the sink list')),
    cc: Type.Optional(addressList('copy recipients for this route, instead of the sink list')),
    notifyAuthor: Type.Optional(Type.Boolean()),
    on: Type.Optional(onSchema),
    templates: Type.Optional(emailTemplatesSchema),
  },
  strict,
);
/** Route options of an email sink. */
export type EmailRouteOptions = Static<typeof emailRouteOptionsSchema>;

/** @defaultValue 30 s per attempt */
export const defaultEmailTimeoutMs = 30_000;

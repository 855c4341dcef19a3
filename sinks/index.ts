import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { createHttpSink } from './http';
import { checkUrl } from './check-url';
import { checkHttpConfig } from './http/check-http-config';
import { httpSinkConfigSchema } from './http/config';
import type { Notification, Sink, SinkDeps, SinkFactory } from '../src/contracts/sink';
import { createEmailSink } from './email';
import { checkEmailConfig } from './email/check-email-config';
import { emailSkipReason } from './email/wants-email';
import { emailRouteOptionsSchema, emailSinkConfigSchema } from './email/config';
import { createSlackSink } from './slack';
import { checkSlackConfig, slackRouteOptionsSchema, slackSinkConfigSchema } from './slack/config';
import { createTeamsSink } from './teams';
import { teamsSinkConfigSchema } from './teams/config';
import { createDiscordSink } from './discord';
import { discordSinkConfigSchema } from './discord/config';
import { createMattermostSink } from './mattermost';
import { mattermostSinkConfigSchema } from './mattermost/config';
import { createGoogleChatSink } from './googlechat';
import { googleChatSinkConfigSchema } from './googlechat/config';
import { createPagerDutySink } from './pagerduty';
import { pagerDutySinkConfigSchema } from './pagerduty/config';

/** Every sink type's config schema, by type. Adding a sink: one line here and one in {@link sinkFactories}. */
export const sinkConfigSchemas = {
  http: httpSinkConfigSchema,
  email: emailSinkConfigSchema,
  slack: slackSinkConfigSchema,
  teams: teamsSinkConfigSchema,
  discord: discordSinkConfigSchema,
  mattermost: mattermostSinkConfigSchema,
  googlechat: googleChatSinkConfigSchema,
  pagerduty: pagerDutySinkConfigSchema,
};

/** A sink type name. */
export type SinkType = keyof typeof sinkConfigSchemas;

/** Config of any sink: a union discriminated on `type`. */
export type SinkConfig = { [T in SinkType]: Static<(typeof sinkConfigSchemas)[T]> }[SinkType];

/** The explicit sink registry. */
export const sinkFactories = {
  http: createHttpSink,
  email: createEmailSink,
  slack: createSlackSink,
  teams: createTeamsSink,
  discord: createDiscordSink,
  mattermost: createMattermostSink,
  googlechat: createGoogleChatSink,
  pagerduty: createPagerDutySink,
} satisfies { [T in SinkType]: SinkFactory<Extract<SinkConfig, { type: T }>> };

/** Each sink type's schema of the options a route may set for it (`routes[].options.<sinkId>`); none: no options. */
export const sinkRouteOptionSchemas: Partial<Record<SinkType, TSchema>> = {
  email: emailRouteOptionsSchema,
  slack: slackRouteOptionsSchema,
};

/** Checks a schema cannot make (templates that do not compile, ...), as `key: message` lines. */
export const sinkConfigChecks: { [T in SinkType]?: (config: Extract<SinkConfig, { type: T }>) => string[] } =
  {
    http: checkHttpConfig,
    email: checkEmailConfig,
    slack: checkSlackConfig,
    teams: checkUrl('url'),
    discord: checkUrl('url'),
    mattermost: checkUrl('url'),
    googlechat: checkUrl('url'),
    pagerduty: checkUrl('apiUrl'),
  };

/**
 * Each sink type's own filter: why it would not send a notification it is given (email's `on`), or
 * undefined when it would. Route tests show this; the sink applies the same check when it delivers.
 */
export const sinkFilters: {
  [T in SinkType]?: (
    config: Extract<SinkConfig, { type: T }>,
    notification: Notification,
  ) => string | undefined;
} = {
  email: emailSkipReason,
};

/** Rate limit a sink type gets when its config sets none (Slack paces its calls per channel itself). */
export const sinkDefaultRateLimits: Partial<Record<SinkType, { max: number; perMs: number }>> = {
  // Google Chat takes about one message a second per space from a webhook; more are answered 429.
  googlechat: { max: 1, perMs: 1000 },
};

/** The config schema of any sink, discriminated on `type` (ajv `discriminator`). */
export const anySinkConfigSchema = Type.Unsafe<SinkConfig>({
  type: 'object',
  required: ['type'],
  discriminator: { propertyName: 'type' },
  oneOf: Object.values(sinkConfigSchemas),
});

/** Builds a sink from its config through the registry (the delivery workers and `send-test` both do). */
export function createSink(config: SinkConfig, deps: SinkDeps): Sink {
  const factory = sinkFactories[config.type] as (c: SinkConfig, d: SinkDeps) => Sink;
  return factory(config, deps);
}

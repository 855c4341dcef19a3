import { Type, type Static } from '@sinclair/typebox';
import { compileTemplate } from '../template/compile-template';
import { sinkConfigSchema } from '../sink-config-schema';

/** Message templates a sink (or a route, for its notifications) may override; Handlebars, see the README (Sinks > Slack). */
export const slackTemplatesSchema = Type.Object(
  {
    text: Type.Optional(
      Type.String({
        minLength: 1,
        description: 'plain-text fallback shown in notifications and read by screen readers',
      }),
    ),
    headline: Type.Optional(
      Type.String({ minLength: 1, description: 'first line of the run message (mrkdwn)' }),
    ),
    reply: Type.Optional(
      Type.String({ minLength: 1, description: "a failed job's reply in the run's thread (mrkdwn)" }),
    ),
  },
  { additionalProperties: false },
);
/** Template overrides of a Slack sink or route. */
export type SlackTemplates = Static<typeof slackTemplatesSchema>;

const channel = Type.String({
  minLength: 1,
  description: 'channel id (C0123ABCD) or name (#ci); the bot must be a member',
});

/** Config of a `slack` sink. */
export const slackSinkConfigSchema = sinkConfigSchema('slack', {
  token: Type.String({ minLength: 1, description: 'bot token (xoxb-...) with chat:write' }),
  channel,
  apiUrl: Type.Optional(
    Type.String({
      pattern: '^https?://',
      description: 'Slack Web API base URL (tests, GovSlack)',
      default: 'https://slack.com/api/',
    }),
  ),
  timeoutMs: Type.Optional(
    Type.Integer({ minimum: 100, maximum: 120000, default: 10000, description: 'per Web API call' }),
  ),
  perChannelPerSecond: Type.Optional(
    Type.Number({
      exclusiveMinimum: 0,
      default: 1,
      description:
        'messages (posts, updates, thread replies) per second in one channel, across all workers; 0.5 is one every 2 s',
    }),
  ),
  mentions: Type.Optional(
    Type.Record(
      Type.String({ minLength: 1 }),
      Type.String({ pattern: '^[UW][A-Z0-9]{2,}$', description: 'Slack user id' }),
      {
        description:
          'commit author or actor (email or provider login, case-insensitive) to Slack user id, @-mentioned on failures they caused',
      },
    ),
  ),
  templates: Type.Optional(slackTemplatesSchema),
});
/** Config of a `slack` sink. */
export type SlackSinkConfig = Static<typeof slackSinkConfigSchema>;

/** What `routes[].options.<slackSinkId>` may set: another channel, other templates. */
export const slackRouteOptionsSchema = Type.Object(
  { channel: Type.Optional(channel), templates: Type.Optional(slackTemplatesSchema) },
  { additionalProperties: false },
);
/** A route's options for a Slack sink. */
export type SlackRouteOptions = Static<typeof slackRouteOptionsSchema>;

/** @defaultValue 10 s per Web API call */
export const defaultSlackTimeoutMs = 10_000;

/** @defaultValue Slack's public Web API */
export const defaultSlackApiUrl = 'https://slack.com/api/';

/**
 * Slack allows about one message a second per channel, so the sink paces its calls per channel.
 * https://docs.slack.dev/apis/web-api/rate-limits#rate-limits__limits-when-posting-messages
 * @defaultValue 1 message a second per channel
 */
export const defaultSlackPerChannelPerSecond = 1;

/** Templates that do not compile, as `templates.<key>: message` lines (run by `check-config` and at load). */
export function checkSlackConfig(config: { templates?: SlackTemplates | undefined }): string[] {
  const problems: string[] = [];
  for (const [key, source] of Object.entries(config.templates ?? {})) {
    if (source === undefined) continue;
    try {
      compileTemplate(source);
    } catch (e) {
      // Handlebars parse errors span lines: "Parse error on line 1:", the source, a caret, then what
      // was expected; the first and the last say it.
      const lines = (e as Error).message.split('\n').filter((line) => line.trim() !== '');
      const message = lines.length > 1 ? `${lines[0]} ${lines[lines.length - 1]}` : (lines[0] ?? String(e));
      problems.push(`templates.${key}: ${message}`);
    }
  }
  return problems;
}

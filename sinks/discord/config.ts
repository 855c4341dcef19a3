import { Type, type Static } from '@sinclair/typebox';
import { sinkConfigSchema } from '../sink-config-schema';
import { webhookTimeoutSchema } from '../webhook-timeout';

/** Config of a `discord` sink: a channel webhook. */
export const discordSinkConfigSchema = sinkConfigSchema('discord', {
  url: Type.String({
    pattern: '^https?://',
    description:
      'the webhook URL (https://discord.com/api/webhooks/<id>/<token>, optionally ?thread_id=...); the token is a secret',
  }),
  username: Type.Optional(
    Type.String({ minLength: 1, maxLength: 80, description: "overrides the webhook's name" }),
  ),
  avatarUrl: Type.Optional(
    Type.String({ pattern: '^https?://', description: "overrides the webhook's avatar" }),
  ),
  timeoutMs: webhookTimeoutSchema,
});
/** Config of a `discord` sink. */
export type DiscordSinkConfig = Static<typeof discordSinkConfigSchema>;

import { Type, type Static } from '@sinclair/typebox';
import { sinkConfigSchema } from '../sink-config-schema';
import { webhookTimeoutSchema } from '../webhook-timeout';

/** Config of a `mattermost` sink: an incoming webhook. */
export const mattermostSinkConfigSchema = sinkConfigSchema('mattermost', {
  url: Type.String({
    pattern: '^https?://',
    description: 'the incoming webhook URL (https://chat.example.com/hooks/<key>); the key is a secret',
  }),
  channel: Type.Optional(
    Type.String({
      minLength: 1,
      description: 'channel name (town-square) or @user, when the webhook may post outside its own channel',
    }),
  ),
  username: Type.Optional(
    Type.String({ minLength: 1, description: 'shown as the poster, when the server allows overriding it' }),
  ),
  iconUrl: Type.Optional(Type.String({ pattern: '^https?://', description: "the poster's icon" })),
  timeoutMs: webhookTimeoutSchema,
});
/** Config of a `mattermost` sink. */
export type MattermostSinkConfig = Static<typeof mattermostSinkConfigSchema>;

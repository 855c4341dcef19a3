import { Type, type Static } from '@sinclair/typebox';
import { sinkConfigSchema } from '../sink-config-schema';
import { webhookTimeoutSchema } from '../webhook-timeout';

/** Config of a `googlechat` sink: a space's incoming webhook. */
export const googleChatSinkConfigSchema = sinkConfigSchema('googlechat', {
  url: Type.String({
    pattern: '^https?://',
    description:
      "the space's webhook URL (https://chat.googleapis.com/v1/spaces/<space>/messages?key=...&token=...); key and token are secrets",
  }),
  timeoutMs: webhookTimeoutSchema,
});
/** Config of a `googlechat` sink. */
export type GoogleChatSinkConfig = Static<typeof googleChatSinkConfigSchema>;

import { Type, type Static } from '@sinclair/typebox';
import { sinkConfigSchema } from '../sink-config-schema';
import { webhookTimeoutSchema } from '../webhook-timeout';

/** Config of a `teams` sink: a Teams Workflows (Power Automate) webhook. */
export const teamsSinkConfigSchema = sinkConfigSchema('teams', {
  url: Type.String({
    pattern: '^https?://',
    description:
      'the URL of a Teams Workflows webhook ("When a Teams webhook request is received"); its sig= is a secret',
  }),
  timeoutMs: webhookTimeoutSchema,
});
/** Config of a `teams` sink. */
export type TeamsSinkConfig = Static<typeof teamsSinkConfigSchema>;

import { Type } from '@sinclair/typebox';

/** @defaultValue 10 s per request */
export const defaultWebhookTimeoutMs = 10_000;

/** The `timeoutMs` key every webhook sink (teams, discord, mattermost, googlechat, pagerduty) takes. */
export const webhookTimeoutSchema = Type.Optional(
  Type.Integer({ minimum: 100, maximum: 120000, default: 10000, description: 'per request' }),
);

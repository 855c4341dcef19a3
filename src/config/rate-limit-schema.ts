import { Type, type Static } from '@sinclair/typebox';

/** A fixed-window rate limit: at most `requests` in each window of `perSeconds`. */
export const rateLimitSchema = Type.Object(
  {
    requests: Type.Integer({ minimum: 1, description: 'requests allowed in each window' }),
    perSeconds: Type.Integer({ minimum: 1, maximum: 86400, description: 'length of the window in seconds' }),
  },
  { additionalProperties: false },
);
/** A rate limit as written: `{ requests, perSeconds }`. */
export type RateLimitConfig = Static<typeof rateLimitSchema>;

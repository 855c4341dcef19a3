import { Type, type TProperties } from '@sinclair/typebox';

/** Retry settings every sink accepts. */
export const retrySchema = Type.Object(
  {
    attempts: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 100, default: 10, description: 'tries before dead-lettering' }),
    ),
    initialDelayMs: Type.Optional(
      Type.Integer({
        minimum: 1,
        default: 1000,
        description: 'first backoff; doubles each try, with jitter',
      }),
    ),
    maxDelayMs: Type.Optional(Type.Integer({ minimum: 1, default: 300000, description: 'backoff ceiling' })),
  },
  { additionalProperties: false },
);

/** Rate limit every sink accepts: at most `max` deliveries per `perMs` for this sink, across all workers. */
export const rateLimitSchema = Type.Object(
  { max: Type.Integer({ minimum: 1 }), perMs: Type.Integer({ minimum: 1 }) },
  { additionalProperties: false },
);

/** A sink's config schema: `id`, `type`, the shared `retry`/`rateLimit`, and its own properties. Unknown keys are errors. */
export function sinkConfigSchema<T extends string, P extends TProperties>(type: T, properties: P) {
  return Type.Object(
    {
      id: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]*$', description: 'referenced by routes' }),
      type: Type.Literal(type),
      retry: Type.Optional(retrySchema),
      rateLimit: Type.Optional(rateLimitSchema),
      ...properties,
    },
    { additionalProperties: false },
  );
}

import { Type, type Static } from '@sinclair/typebox';
import { providerNames } from '../event/ci-event-schema';
import { stringEnum } from '../event/string-enum';
import { rateLimitSchema } from './rate-limit-schema';

/** How a source's webhooks are authenticated; each provider takes some of these keys. */
export const authKeys = ['secrets', 'token', 'basicAuth', 'publicKey', 'requiredHeaders'] as const;
/** One of {@link authKeys}. */
export type AuthKey = (typeof authKeys)[number];

/** One configured webhook source: `POST /hooks/<id>`. */
export const sourceConfigSchema = Type.Object(
  {
    id: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]*$', description: 'URL: POST /hooks/<id>' }),
    provider: stringEnum(providerNames),
    secrets: Type.Optional(
      Type.Array(Type.String({ minLength: 1 }), {
        minItems: 1,
        description: 'signing secrets; any one may sign (rotation)',
      }),
    ),
    token: Type.Optional(Type.String({ minLength: 1, description: 'shared-secret header value' })),
    basicAuth: Type.Optional(
      Type.Object(
        { username: Type.String({ minLength: 1 }), password: Type.String({ minLength: 1 }) },
        { additionalProperties: false },
      ),
    ),
    publicKey: Type.Optional(Type.String({ minLength: 1, description: 'PEM public key (Travis CI)' })),
    requiredHeaders: Type.Optional(
      Type.Record(Type.String({ pattern: '^[A-Za-z0-9-]+$' }), Type.String({ minLength: 1 }), {
        description: 'headers that must be present with these exact values',
      }),
    ),
    insecure: Type.Optional(Type.Boolean({ description: 'accept unauthenticated webhooks (testing only)' })),
    rateLimit: Type.Optional(
      Type.Object(rateLimitSchema.properties, {
        additionalProperties: false,
        description:
          'verified webhooks of this source beyond this rate get 429 with Retry-After (shared by all instances); off by default',
      }),
    ),
  },
  { additionalProperties: false },
);
/** One configured webhook source. */
export type SourceConfig = Static<typeof sourceConfigSchema>;

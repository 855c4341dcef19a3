import { Type, type Static } from '@sinclair/typebox';
import { stringEnum } from '../event/string-enum';
import { rateLimitSchema } from './rate-limit-schema';

/** What a key or token may do: `read` (every GET, the stream), `write` (retry, replay, silences, route-test). */
export const apiScopes = ['read', 'write'] as const;
/** One of {@link apiScopes}. */
export type ApiScope = (typeof apiScopes)[number];

/** One API key: its id (shown in the audit log), its SHA-256 or the key itself, and its scopes. */
export const apiKeyConfigSchema = Type.Object(
  {
    id: Type.String({
      pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]*$',
      description: 'shown in the audit log and logs, never the key itself',
    }),
    sha256: Type.Optional(
      Type.String({
        minLength: 1,
        description:
          'hex SHA-256 of the key (64 characters); `ci-relay api-key` prints a new key and its hash',
      }),
    ),
    key: Type.Optional(
      Type.String({
        minLength: 1,
        description: 'the key itself, from the environment ("${RELAY_OPS_KEY}"); hashed at load, not kept',
      }),
    ),
    scopes: Type.Array(stringEnum(apiScopes), { minItems: 1, uniqueItems: true }),
  },
  { additionalProperties: false },
);
/** One API key as written. */
export type ApiKeyConfig = Static<typeof apiKeyConfigSchema>;

/** OAuth 2.0 bearer tokens (JWT) from an identity provider. */
export const apiOAuthConfigSchema = Type.Object(
  {
    issuer: Type.String({
      format: 'uri',
      description: "the tokens' `iss`, e.g. https://idp.example.com/realms/ci",
    }),
    audience: Type.String({ minLength: 1, description: "the tokens' `aud` must hold this" }),
    jwksUri: Type.Optional(
      Type.String({
        format: 'uri',
        description:
          "the issuer's signing keys; default: `jwks_uri` of <issuer>/.well-known/openid-configuration",
      }),
    ),
    scopes: Type.Object(
      {
        claim: Type.Optional(
          Type.String({
            minLength: 1,
            default: 'scope',
            description:
              'the claim holding the scopes (space-separated string or list), e.g. scope, scp, roles, or a dotted path such as realm_access.roles',
          }),
        ),
        read: Type.String({ minLength: 1, description: 'the claim value that grants `read`' }),
        write: Type.String({ minLength: 1, description: 'the claim value that grants `write`' }),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);
/** The `api.oauth` block as written. */
export type ApiOAuthConfig = Static<typeof apiOAuthConfigSchema>;

/** The `api` section: keys, rate limit and OAuth of the `/v1` API. Without it the API answers 404. */
export const apiConfigSchema = Type.Object(
  {
    keys: Type.Optional(Type.Array(apiKeyConfigSchema)),
    rateLimit: Type.Optional(
      Type.Object(rateLimitSchema.properties, {
        additionalProperties: false,
        description: 'per key or token subject, shared by all instances through Redis; default 600 per 60 s',
      }),
    ),
    oauth: Type.Optional(apiOAuthConfigSchema),
  },
  { additionalProperties: false },
);
/** The `api` section as written. */
export type ApiConfig = Static<typeof apiConfigSchema>;

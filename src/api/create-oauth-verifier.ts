import type * as Jose from 'jose' with { 'resolution-mode': 'import' };
import type { ApiScope } from '../config/api-config-schema';
import type { ApiOAuthSettings } from '../config/relay-config';
import type { ApiPrincipal } from './api-principal';

// jose is an ES module; the relay is CommonJS, so it is loaded with import() once, on first use.
let josePromise: Promise<typeof Jose> | undefined;
const loadJose = () => (josePromise ??= import('jose'));

/** What checking a bearer JWT came to: a principal, or why not (401: the token; 503: the issuer). */
export type OAuthResult =
  { ok: true; principal: ApiPrincipal } | { ok: false; status: 401 | 503; reason: string };

/** Checks bearer JWTs against one issuer's keys. */
export interface OAuthVerifier {
  verify(token: string): Promise<OAuthResult>;
}

/** Dependencies of {@link createOAuthVerifier}. */
export interface OAuthVerifierDeps {
  /** @defaultValue `globalThis.fetch` */
  fetch?: typeof fetch;
  /** @defaultValue `Date.now` */
  now?: () => number;
  /** Least time between two fetches of the JWKS for an unknown `kid`. @defaultValue 30 s */
  jwksCooldownMs?: number;
}

/** `exp`/`nbf` may be this many seconds off: clocks of the relay and the identity provider drift. */
const clockToleranceSeconds = 30;
const fetchTimeoutMs = 5000;

/** jose's errors that say the issuer's keys could not be had, rather than that the token is bad. */
const issuerErrorCodes = new Set(['ERR_JOSE_GENERIC', 'ERR_JWKS_TIMEOUT', 'ERR_JWKS_INVALID']);

/** The value of `claim` in `payload`: the claim of that exact name, else a dotted path (`realm_access.roles`). */
function claimValue(payload: Record<string, unknown>, claim: string): unknown {
  if (claim in payload) return payload[claim];
  let value: unknown = payload;
  for (const part of claim.split('.')) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

/** The scopes a token grants: its claim (a space-separated string or a list) mapped to `read`/`write`. */
export function scopesOf(
  payload: Record<string, unknown>,
  settings: ApiOAuthSettings['scopes'],
): Set<ApiScope> {
  const raw = claimValue(payload, settings.claim);
  const values =
    typeof raw === 'string'
      ? raw.split(/\s+/)
      : Array.isArray(raw)
        ? raw.filter((v): v is string => typeof v === 'string')
        : [];
  const scopes = new Set<ApiScope>();
  if (values.includes(settings.read)) scopes.add('read');
  if (values.includes(settings.write)) scopes.add('write');
  return scopes;
}

/** Reads `jwks_uri` from the issuer's OpenID Connect discovery document. */
async function discoverJwksUri(issuer: string, fetchImpl: typeof fetch): Promise<string> {
  const url = `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
  const res = await fetchImpl(url, { signal: AbortSignal.timeout(fetchTimeoutMs) });
  if (!res.ok) throw new Error(`[api] ${url} answered ${res.status}`);
  const doc = (await res.json()) as { issuer?: unknown; jwks_uri?: unknown };
  // OpenID Connect Discovery 1.0 section 4.3: the document's issuer must be the one asked for.
  if (typeof doc.issuer !== 'string' || doc.issuer.replace(/\/+$/, '') !== issuer.replace(/\/+$/, ''))
    throw new Error(`[api] ${url} names another issuer`);
  if (typeof doc.jwks_uri !== 'string') throw new Error(`[api] ${url} has no jwks_uri`);
  return doc.jwks_uri;
}

/**
 * Verifies JWT bearer tokens with jose: signature by the issuer's JWKS (fetched once, cached, fetched
 * again for an unknown `kid`), `iss`, `aud`, `exp`/`nbf` with 30 s of clock tolerance. The subject is the
 * principal (`oauth:<sub>`); its scopes come from `settings.scopes.claim`.
 */
export function createOAuthVerifier(settings: ApiOAuthSettings, deps: OAuthVerifierDeps = {}): OAuthVerifier {
  const { fetch: fetchImpl = globalThis.fetch, now = Date.now, jwksCooldownMs = 30_000 } = deps;
  let keySet: Promise<ReturnType<typeof Jose.createRemoteJWKSet>> | undefined;
  const getKeySet = () =>
    (keySet ??= (async () => {
      const jose = await loadJose();
      const uri = settings.jwksUri ?? (await discoverJwksUri(settings.issuer, fetchImpl));
      return jose.createRemoteJWKSet(new URL(uri), {
        cooldownDuration: jwksCooldownMs,
        timeoutDuration: fetchTimeoutMs,
        [jose.customFetch]: fetchImpl,
      });
    })().catch((e: unknown) => {
      keySet = undefined; // try discovery again on the next token
      throw e;
    }));

  return {
    verify: async (token) => {
      const jose = await loadJose();
      let payload: Jose.JWTPayload;
      try {
        const keys = await getKeySet();
        ({ payload } = await jose.jwtVerify(token, keys, {
          issuer: settings.issuer,
          audience: settings.audience,
          clockTolerance: clockToleranceSeconds,
          currentDate: new Date(now()),
        }));
      } catch (e) {
        if (e instanceof jose.errors.JOSEError && !issuerErrorCodes.has(e.code))
          return { ok: false, status: 401, reason: `token rejected: ${e.message}` };
        const message = e instanceof Error ? e.message : String(e);
        return {
          ok: false,
          status: 503,
          reason: `the identity provider's signing keys could not be fetched (${message})`,
        };
      }
      if (typeof payload.sub !== 'string' || payload.sub === '')
        return { ok: false, status: 401, reason: 'token rejected: it has no "sub" claim' };
      return {
        ok: true,
        principal: { id: `oauth:${payload.sub}`, kind: 'oauth', scopes: scopesOf(payload, settings.scopes) },
      };
    },
  };
}

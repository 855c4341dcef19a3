import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler, Response } from 'express';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { ApiScope } from '../config/api-config-schema';
import type { ConfigStore } from '../config/config-store';
import type { ApiKeySettings, RelayConfig } from '../config/relay-config';
import {
  createRateLimiter,
  type RateLimitDecision,
  type RedisRateLimiter,
} from '../redis/create-rate-limiter';
import type { ApiPrincipal } from './api-principal';
import { createOAuthVerifier, type OAuthVerifier } from './create-oauth-verifier';

export type { ApiPrincipal } from './api-principal';

/** Dependencies of {@link createApiAuth}. */
export interface ApiAuthDeps {
  configStore: ConfigStore;
  /** Where rate-limit counters are kept (a producer connection: it fails fast while Redis is down). */
  redis: Redis;
  /** Redis key prefix. */
  prefix: string;
  log: Logger;
  /** The clock tokens' `exp`/`nbf` are checked against. @defaultValue `Date.now` */
  now?: () => number;
  /** Used for the issuer's discovery document and JWKS. @defaultValue `globalThis.fetch` */
  fetch?: typeof fetch;
  /** Least time between two JWKS fetches for an unknown `kid` (tests use 0). @defaultValue 30 s */
  jwksCooldownMs?: number;
}

/** The `/v1` API's guard. */
export interface ApiAuth {
  /**
   * Middleware for one `/v1` route: 404 when the config has no `api` section, 401 without a known key
   * or valid token, 429 over the principal's rate limit, 403 without `scope`; else sets
   * `res.locals.principal` ({@link ApiPrincipal}) and calls the route.
   */
  authorize(scope: ApiScope): RequestHandler;
  /** Stops following config changes. */
  close(): void;
}

const jsonError = (code: string, message: string) => ({ error: { code, message } });

/** `Authorization: Bearer <token>` (RFC 6750 section 2.1); undefined when absent or malformed. */
function bearerToken(header: string | undefined): string | undefined {
  return /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i.exec(header ?? '')?.[1];
}

/** A JWT in compact form: three base64url parts. API keys (`cir_...`) have no dots. */
const jwtPattern = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/**
 * The key whose hash is the SHA-256 of `presented`. Every configured key is compared, each with
 * timingSafeEqual on 32-byte digests, so the time taken says nothing about which key, if any, matched.
 */
function matchKey(keys: readonly ApiKeySettings[], presented: string): ApiKeySettings | undefined {
  const digest = createHash('sha256').update(presented, 'utf8').digest();
  let found: ApiKeySettings | undefined;
  for (const key of keys) {
    const equal = timingSafeEqual(digest, key.sha256);
    if (equal) found ??= key;
  }
  return found;
}

function setRateLimitHeaders(res: Response, decision: RateLimitDecision): void {
  // draft-ietf-httpapi-ratelimit-headers: limit, remaining, and seconds until the window resets.
  res.set({
    'RateLimit-Limit': String(decision.limit),
    'RateLimit-Remaining': String(decision.remaining),
    'RateLimit-Reset': String(decision.resetSeconds),
  });
}

/**
 * Authentication, authorization and rate limiting of the `/v1` API, following the config as it is
 * reloaded: keys by SHA-256 in constant time, OAuth JWTs by the issuer's JWKS, a rate limit per
 * principal shared by all instances through Redis. The key or token is never logged or echoed.
 */
export function createApiAuth(deps: ApiAuthDeps): ApiAuth {
  const { configStore, redis, prefix, log, now = Date.now } = deps;
  let limiter: RedisRateLimiter | undefined;
  let oauth: { verifier: OAuthVerifier; settings: string } | undefined;
  let closed = false;

  const apply = (config: RelayConfig) => {
    if (closed) return;
    const api = config.api;
    const limit = api?.rateLimit;
    if (!limit) limiter = undefined;
    else if (
      limiter?.settings.requests !== limit.requests ||
      limiter.settings.perSeconds !== limit.perSeconds
    ) {
      limiter = createRateLimiter({ redis, keyPrefix: `${prefix}:rate-limit:api`, settings: { ...limit } });
    }
    const oauthSettings = api?.oauth && JSON.stringify(api.oauth);
    if (!oauthSettings || !api?.oauth) oauth = undefined;
    else if (oauth?.settings !== oauthSettings) {
      oauth = {
        settings: oauthSettings,
        verifier: createOAuthVerifier(api.oauth, {
          now,
          ...(deps.fetch && { fetch: deps.fetch }),
          ...(deps.jwksCooldownMs !== undefined && { jwksCooldownMs: deps.jwksCooldownMs }),
        }),
      };
    }
  };
  apply(configStore.current());
  configStore.onChange(apply);

  const unauthorized = (res: Response, message: string, invalidToken: boolean) => {
    res
      .status(401)
      .set(
        'WWW-Authenticate',
        invalidToken ? 'Bearer realm="ci-relay", error="invalid_token"' : 'Bearer realm="ci-relay"',
      )
      .json(jsonError('unauthorized', message));
  };

  /** Who presented this bearer token, or undefined once the answer (401/503) is sent. */
  const authenticate = async (
    token: string,
    keys: readonly ApiKeySettings[],
    res: Response,
  ): Promise<ApiPrincipal | undefined> => {
    if (jwtPattern.test(token)) {
      if (!oauth) {
        unauthorized(res, 'bearer tokens (JWT) are not accepted: the config has no api.oauth', true);
        return undefined;
      }
      const result = await oauth.verifier.verify(token);
      if (result.ok) return result.principal;
      if (result.status === 503) {
        log.warn({ reason: result.reason }, '[api] cannot verify a bearer token');
        res.status(503).json(jsonError('unavailable', result.reason));
      } else {
        log.debug({ reason: result.reason }, '[api] bearer token refused');
        unauthorized(res, result.reason, true);
      }
      return undefined;
    }
    const key = matchKey(keys, token);
    if (!key) {
      log.debug('[api] unknown API key');
      unauthorized(res, 'unknown API key', true);
      return undefined;
    }
    return { id: key.id, kind: 'key', scopes: key.scopes };
  };

  return {
    authorize: (scope) => async (req, res, next) => {
      const api = configStore.current().api;
      if (!api) {
        res
          .status(404)
          .json(jsonError('not_found', 'no such endpoint (the API is off: the config has no api section)'));
        return;
      }
      const header = req.headers.authorization;
      const token = bearerToken(header);
      if (token === undefined) {
        unauthorized(
          res,
          header === undefined
            ? 'an Authorization: Bearer <key> header is required'
            : 'Authorization must be "Bearer <key>"',
          false,
        );
        return;
      }
      const principal = await authenticate(token, api.keys, res);
      if (!principal) return;
      const rateLimiter =
        limiter ??
        createRateLimiter({ redis, keyPrefix: `${prefix}:rate-limit:api`, settings: api.rateLimit });
      const decision = await rateLimiter.consume(principal.id);
      setRateLimitHeaders(res, decision);
      if (!decision.allowed) {
        // debug, not info: a client hammering past its limit would otherwise flood the log.
        log.debug({ principal: principal.id, resetSeconds: decision.resetSeconds }, '[api] rate limited');
        res
          .status(429)
          .set('Retry-After', String(decision.resetSeconds))
          .json(
            jsonError(
              'rate_limited',
              `over the limit of ${decision.limit} requests per ${rateLimiter.settings.perSeconds} s; retry in ${decision.resetSeconds} s`,
            ),
          );
        return;
      }
      if (!principal.scopes.has(scope)) {
        log.info({ principal: principal.id, scope }, '[api] forbidden: missing scope');
        res
          .status(403)
          .set('WWW-Authenticate', `Bearer realm="ci-relay", error="insufficient_scope", scope="${scope}"`)
          .json(jsonError('forbidden', `"${principal.id}" lacks the "${scope}" scope`));
        return;
      }
      res.locals.principal = principal;
      next();
    },
    close: () => {
      closed = true;
      limiter = undefined;
      oauth = undefined;
    },
  };
}

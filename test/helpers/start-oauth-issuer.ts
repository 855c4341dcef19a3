import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type * as Jose from 'jose' with { 'resolution-mode': 'import' };

/** A local OAuth 2.0 / OpenID Connect issuer: its own RSA keys, a discovery document and a JWKS endpoint. */
export interface OAuthIssuer {
  /** The issuer URL (`iss`). */
  url: string;
  jwksUri: string;
  /** How many times the JWKS was fetched. */
  jwksFetches(): number;
  /** Signs a token with the current key (or another key that claims the current `kid`: a wrong signature). */
  sign(
    claims: Record<string, unknown>,
    options?: {
      audience?: string;
      issuer?: string;
      expiresAt?: number;
      notBefore?: number;
      forged?: boolean;
    },
  ): Promise<string>;
  /** A new key pair with a new `kid`; the JWKS serves only the new key from now on. */
  rotate(): Promise<void>;
  close(): Promise<void>;
}

interface SigningKey {
  kid: string;
  privateKey: Jose.CryptoKey;
  jwk: Jose.JWK;
}

/** Starts the issuer on an ephemeral port of 127.0.0.1. */
export async function startOAuthIssuer(audience: string): Promise<OAuthIssuer> {
  const jose = await import('jose');
  let generation = 0;
  const newKey = async (): Promise<SigningKey> => {
    const kid = `key-${++generation}`;
    const { publicKey, privateKey } = await jose.generateKeyPair('RS256', { extractable: true });
    return { kid, privateKey, jwk: { ...(await jose.exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' } };
  };
  let current = await newKey();
  const forger = await newKey();
  let fetches = 0;
  let url = '';
  const server: Server = createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    if (req.url === '/.well-known/openid-configuration') {
      res.end(JSON.stringify({ issuer: url, jwks_uri: `${url}/jwks` }));
    } else if (req.url === '/jwks') {
      fetches++;
      res.end(JSON.stringify({ keys: [current.jwk] }));
    } else {
      res.statusCode = 404;
      res.end('{}');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    jwksUri: `${url}/jwks`,
    jwksFetches: () => fetches,
    sign: async (claims, options = {}) => {
      const nowSeconds = Math.floor(Date.now() / 1000);
      const jwt = new jose.SignJWT(claims)
        .setProtectedHeader({ alg: 'RS256', kid: current.kid, typ: 'JWT' })
        .setIssuer(options.issuer ?? url)
        .setAudience(options.audience ?? audience)
        .setIssuedAt(nowSeconds)
        .setExpirationTime(options.expiresAt ?? nowSeconds + 300);
      if (options.notBefore !== undefined) jwt.setNotBefore(options.notBefore);
      return jwt.sign(options.forged ? forger.privateKey : current.privateKey);
    },
    rotate: async () => {
      current = await newKey();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

import { createHash } from 'node:crypto';
import type { ApiConfig } from './api-config-schema';
import type { ApiKeySettings, ApiSettings } from './relay-config';

/** The default of `api.rateLimit`. */
export const defaultApiRateLimit = { requests: 600, perSeconds: 60 } as const;

/** A plain `key` shorter than this is refused: API keys must not be guessable. */
const minKeyLength = 16;

/**
 * Checks the `api` section and resolves it: each key becomes the SHA-256 of the key, so a key given in
 * the clear (`key:`) is hashed here and not kept. Problems are pushed to `problems`; they never hold a key.
 */
export function resolveApiSettings(api: ApiConfig, problems: string[]): ApiSettings {
  const keys: ApiKeySettings[] = [];
  const seen = new Set<string>();
  const reported = new Set<string>();
  (api.keys ?? []).forEach((k, i) => {
    const at = `api.keys[${i}] (${k.id})`;
    if (seen.has(k.id) && !reported.has(k.id)) {
      problems.push(`api.keys: duplicate id "${k.id}"`);
      reported.add(k.id);
    }
    seen.add(k.id);
    let sha256: Buffer | undefined;
    if (k.sha256 !== undefined && k.key !== undefined) {
      problems.push(`${at}: give either sha256 or key, not both`);
    } else if (k.sha256 !== undefined) {
      if (/^[0-9a-fA-F]{64}$/.test(k.sha256)) sha256 = Buffer.from(k.sha256, 'hex');
      else problems.push(`${at}.sha256: must be 64 hexadecimal characters (the SHA-256 of the key)`);
    } else if (k.key !== undefined) {
      if (k.key.length < minKeyLength)
        problems.push(`${at}.key: shorter than ${minKeyLength} characters; make one with ci-relay api-key`);
      else sha256 = createHash('sha256').update(k.key, 'utf8').digest();
    } else {
      problems.push(`${at}: needs sha256 (the key's hex SHA-256) or key`);
    }
    if (sha256) keys.push({ id: k.id, sha256, scopes: new Set(k.scopes) });
  });
  if (keys.length === 0 && (api.keys ?? []).length === 0 && api.oauth === undefined)
    problems.push(
      'api: no keys and no oauth: nothing could call the API (remove the section to turn it off)',
    );
  const settings: ApiSettings = {
    keys,
    rateLimit: api.rateLimit ?? { ...defaultApiRateLimit },
  };
  if (api.oauth) {
    const { issuer, audience, jwksUri, scopes } = api.oauth;
    settings.oauth = {
      issuer,
      audience,
      ...(jwksUri !== undefined && { jwksUri }),
      scopes: { claim: scopes.claim ?? 'scope', read: scopes.read, write: scopes.write },
    };
  }
  return settings;
}

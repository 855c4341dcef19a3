import { createHash, randomBytes } from 'node:crypto';
import { apiScopes, type ApiScope } from '../config/api-config-schema';

/** A new API key, with what the config keeps of it. */
export interface NewApiKey {
  id: string;
  /** `cir_` and 32 random bytes in base64url: shown once, never stored. */
  key: string;
  /** Hex SHA-256 of `key`: what goes in the config. */
  sha256: string;
  scopes: readonly ApiScope[];
}

const idPattern = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** `read,write` as scopes; throws on an unknown or empty list. */
export function parseScopes(text: string): ApiScope[] {
  const names = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (names.length === 0) throw new Error(`[api-key] no scopes given; scopes are ${apiScopes.join(', ')}`);
  for (const name of names) {
    if (!(apiScopes as readonly string[]).includes(name))
      throw new Error(`[api-key] unknown scope "${name}"; scopes are ${apiScopes.join(', ')}`);
  }
  return apiScopes.filter((s) => names.includes(s));
}

/**
 * A new random key (`cir_` + 32 bytes base64url) and its SHA-256.
 * @param options.id - @defaultValue `key-<6 random hex digits>`
 * @param options.scopes - @defaultValue `[read]`
 */
export function newApiKey(
  options: { id?: string; scopes?: readonly ApiScope[] } = {},
  random: (size: number) => Buffer = randomBytes,
): NewApiKey {
  const id = options.id ?? `key-${random(3).toString('hex')}`;
  if (!idPattern.test(id))
    throw new Error(
      `[api-key] id "${id}" must be letters, digits, "_", "." or "-", starting with a letter or digit`,
    );
  const key = `cir_${random(32).toString('base64url')}`;
  return {
    id,
    key,
    sha256: createHash('sha256').update(key, 'utf8').digest('hex'),
    scopes: options.scopes ?? ['read'],
  };
}

/** What `ci-relay api-key` prints: the key once, and the config lines to paste under `api.keys`. */
export function apiKeyLines(k: NewApiKey): string[] {
  return [
    `New API key "${k.id}". It is shown only this once and is not stored anywhere: keep it now.`,
    '',
    `  ${k.key}`,
    '',
    'Paste these lines under api.keys in the config (only the hash is kept there):',
    '',
    `    - id: ${k.id}`,
    `      sha256: "${k.sha256}"`,
    `      scopes: [${k.scopes.join(', ')}]`,
    '',
    `Then call the API with: curl -H "Authorization: Bearer <the key>" http://<relay>/v1/...`,
  ];
}

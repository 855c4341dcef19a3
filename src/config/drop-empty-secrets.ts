/**
 * Drops empty entries from every source's `secrets` list: `["${NEW}", "${OLD:-}"]` is how a rotation
 * lists an optional second secret, and an unset one must not become an empty (always refused) key.
 */
export function dropEmptySecrets(raw: unknown): unknown {
  const sources = (raw as { sources?: unknown } | null)?.sources;
  if (!Array.isArray(sources)) return raw;
  for (const source of sources as unknown[]) {
    const s = source as { secrets?: unknown } | null;
    if (s !== null && typeof s === 'object' && Array.isArray(s.secrets))
      s.secrets = (s.secrets as unknown[]).filter((secret) => secret !== '');
  }
  return raw;
}

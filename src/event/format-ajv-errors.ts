import type { ErrorObject } from 'ajv';

/** `/sources/0/secrets` becomes `sources[0].secrets`. */
export function jsonPointerToPath(pointer: string, prefix = ''): string {
  const parts = pointer
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  let path = prefix;
  for (const part of parts) path += /^\d+$/.test(part) ? `[${part}]` : path === '' ? part : `.${part}`;
  return path === '' ? '(top level)' : path;
}

function describe(e: ErrorObject, at: string): string | undefined {
  const params = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'additionalProperties':
      return `${at}: unknown key "${String(params.additionalProperty)}"`;
    case 'required': {
      const field = String(params.missingProperty);
      return `${at === '(top level)' ? field : `${at}.${field}`}: is required`;
    }
    case 'enum':
      return `${at}: must be one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    case 'discriminator':
      return `${at}.${String(params.tag)}: unknown type ${JSON.stringify(params.tagValue)}`;
    case 'anyOf':
    case 'oneOf':
    case 'if':
      return undefined;
    default:
      return `${at}: ${e.message ?? e.keyword}`;
  }
}

/**
 * ajv errors as `path: message` lines. Where a value may take several shapes (a string or a list), the
 * type errors of the shapes it did not take are dropped when a more telling error exists at that path.
 */
export function formatAjvErrors(errors: readonly ErrorObject[] | null | undefined, prefix = ''): string[] {
  const all = errors ?? [];
  const unions = new Set(all.filter((e) => e.keyword === 'anyOf').map((e) => e.instancePath));
  const lines = new Set<string>();
  for (const e of all) {
    if (e.keyword === 'type' && unions.has(e.instancePath)) {
      const telling = all.some(
        (o) => o.instancePath.startsWith(e.instancePath) && !['type', 'anyOf'].includes(o.keyword),
      );
      if (telling) continue;
    }
    const line = describe(e, jsonPointerToPath(e.instancePath, prefix));
    if (line !== undefined) lines.add(line);
  }
  return [...lines];
}

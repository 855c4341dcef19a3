import type { RelayConfig } from '../config/relay-config';

/** Every string inside `value`, with its dotted path. */
function strings(value: unknown, path: string): Array<[string, string]> {
  if (typeof value === 'string') return [[path, value]];
  if (Array.isArray(value)) return value.flatMap((v, i) => strings(v, `${path}[${i}]`));
  if (value !== null && typeof value === 'object')
    return Object.entries(value).flatMap(([k, v]) => strings(v, `${path}.${k}`));
  return [];
}

/**
 * What an operator should fix before going live, as `[relay] ...` lines (logged at start and on reload,
 * listed by `/readyz`): a source or sink using a value published in `.env.example` (anyone can sign
 * webhooks with it), and plain HTTP on every interface with no TLS proxy said to be in front.
 */
export function relayWarnings(
  config: RelayConfig,
  options: {
    host: string;
    published?: ReadonlyMap<string, string> | undefined;
    tlsInFront?: boolean | undefined;
  },
): string[] {
  const warnings: string[] = [];
  const { published } = options;
  if (published && published.size > 0) {
    const items = [
      ...[...config.sources.values()].map((s) => [`source "${s.id}"`, s] as const),
      ...[...config.sinks.values()].map((s) => [`sink "${s.id}"`, s] as const),
    ];
    for (const [label, item] of items) {
      for (const [path, value] of strings(item, '')) {
        const name = published.get(value);
        if (name === undefined) continue;
        warnings.push(
          `[relay] ${label} uses the example value of ${name} from .env.example (at ${path.slice(1)}): ` +
            'it is published, so anyone can use it; run `npx ci-relay init` or set a fresh secret',
        );
      }
    }
  }
  const everywhere = ['0.0.0.0', '::', ''].includes(options.host);
  if (everywhere && options.tlsInFront !== true) {
    warnings.push(
      `[relay] listening on all interfaces (HOST=${options.host || '(all)'}) over plain HTTP: put a TLS proxy in ` +
        'front (docs/deployment.md) and set RELAY_BEHIND_TLS_PROXY=true, or set HOST=127.0.0.1',
    );
  }
  return warnings;
}

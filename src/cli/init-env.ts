import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

/** What `ci-relay init` did: the file written (or kept) and the lines to print. */
export interface InitResult {
  written: boolean;
  lines: string[];
}

/** A fresh value for a secret variable of `.env.example`, in the form its example shows. */
function freshValue(example: string): string {
  if (example.startsWith('whsec_')) return `whsec_${randomBytes(32).toString('base64')}`;
  return randomBytes(32).toString('hex');
}

/**
 * Writes `target` (`.env`) from `example` (`.env.example`) with a fresh random value for every secret
 * the example publishes (`change-me-...`, `whsec_...`), so no published secret is ever live. An existing
 * `target` is kept unless `force`. Returns what to tell the operator, GitHub's webhook settings included.
 */
export function initEnv(options: {
  example: string;
  target: string;
  force?: boolean;
  port?: string | undefined;
  random?: (example: string) => string;
}): InitResult {
  const { example, target, force = false, random = freshValue } = options;
  if (existsSync(target) && !force) {
    return {
      written: false,
      lines: [`${target} exists: kept as it is (ci-relay init --force writes a new one with fresh secrets)`],
    };
  }
  const fresh = new Map<string, string>();
  // The example's own header (up to the first blank line) speaks of the published values: left out.
  const text = readFileSync(example, 'utf8')
    .replace(/^(?:#.*\n)+\n/, '')
    .replace(
      /^([A-Z][A-Z0-9_]*(?:SECRET|TOKEN|PASSWORD|WHSEC|KEY)[A-Z0-9_]*)=(.*)$/gm,
      (_line, name: string, value: string) => {
        const next = random(value);
        fresh.set(name, next);
        return `${name}=${next}`;
      },
    );
  const header = `# Written by \`ci-relay init\` from ${example} with fresh random secrets. Keep it private.\n`;
  writeFileSync(target, header + text, { mode: 0o600 });
  const port = options.port ?? /^PORT=(\d+)$/m.exec(text)?.[1] ?? '8080';
  const github = fresh.get('GITHUB_WEBHOOK_SECRET');
  return {
    written: true,
    lines: [
      `wrote ${target} with fresh secrets for ${[...fresh.keys()].join(', ') || '(none)'}`,
      ...(github === undefined
        ? []
        : [
            '',
            'Point GitHub at the relay (repository or organization Settings > Webhooks > Add webhook):',
            `  Payload URL:  https://<your-relay-host>/hooks/github   (this machine: http://<host>:${port}/hooks/github)`,
            '  Content type: application/json',
            `  Secret:       ${github}`,
            '  Events:       Workflow runs and Workflow jobs',
          ]),
      '',
      'Start the relay with: npm start',
    ],
  };
}

import { existsSync, readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';

/** Variable names whose values are credentials. */
const secretName = /SECRET|TOKEN|PASSWORD|WHSEC|KEY/i;

/**
 * The credential values `file` (`.env.example`) publishes, as value to variable name: they are in every
 * copy of the repository, so a relay configured with one is open to anyone (see relayWarnings).
 */
export function readPublishedSecrets(file: string): Map<string, string> {
  const published = new Map<string, string>();
  if (!existsSync(file)) return published;
  for (const [name, value] of Object.entries(parseEnv(readFileSync(file, 'utf8')))) {
    if (secretName.test(name) && value !== undefined && value.length >= 8) published.set(value, name);
  }
  return published;
}

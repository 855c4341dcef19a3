import { existsSync, readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';

/**
 * The environment the config is read with: `base` (the process's own environment, which wins) over the
 * variables of `file` (`.env`) as it is now. `start` reads it again on every reload and `check-config`
 * reads it once, so the two never disagree about what an edited `.env` says.
 */
export function readEnv(base: NodeJS.ProcessEnv, file = '.env'): NodeJS.ProcessEnv {
  const set = Object.fromEntries(Object.entries(base).filter(([, value]) => value !== undefined));
  if (!existsSync(file)) return set;
  return { ...parseEnv(readFileSync(file, 'utf8')), ...set };
}

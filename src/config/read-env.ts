import { existsSync, readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';

/**
 * The environment the config is read with: `base` (the process's own environment, which wins) over the
 * variables of `file` (`.env`) as it is now. `start` reads it again on every reload and `check-config`
 * reads it once, so the two never disagree about what an edited `.env` says.
 */
export function readEnv(base: NodeJS.ProcessEnv, file = '.env'): NodeJS.ProcessEnv {
  if (!existsSync(file)) return { ...base };
  return { ...parseEnv(readFileSync(file, 'utf8')), ...base };
}

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The folder of ci-relay's package.json: found upwards from here, as this file runs from src/ or dist/src/. */
export function packageRoot(from = __dirname): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file) && (JSON.parse(readFileSync(file, 'utf8')) as { name?: string }).name === 'ci-relay')
      return dir;
    if (dirname(dir) === dir) throw new Error('[cli] cannot find the ci-relay package.json');
  }
}

/** The installed ci-relay's version, from its package.json. */
export function packageVersion(root = packageRoot()): string {
  return (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
}

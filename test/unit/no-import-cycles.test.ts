import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const root = resolve(__dirname, '../..');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

/** Relative imports of a file that are values, not `import type` (those vanish at run time). */
function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const found: string[] = [];
  for (const match of text.matchAll(/^import (?!type )[^;]*?from '(\.[^']+)';/gms)) {
    const target = resolve(dirname(file), match[1] ?? '');
    const candidates = [`${target}.ts`, join(target, 'index.ts')];
    const hit = candidates.find((c) => existsSync(c));
    if (hit) found.push(hit);
  }
  return found;
}

describe('module structure', () => {
  it('has no import cycles in src/, sinks/ and bench/', () => {
    const files = ['src', 'sinks', 'bench'].flatMap((d) => sourceFiles(join(root, d)));
    const graph = new Map(files.map((f) => [f, imports(f)]));
    const state = new Map<string, 'visiting' | 'done'>();
    const cycles: string[] = [];
    const visit = (file: string, path: string[]) => {
      if (state.get(file) === 'done') return;
      if (state.get(file) === 'visiting') {
        cycles.push([...path.slice(path.indexOf(file)), file].map((f) => relative(root, f)).join(' -> '));
        return;
      }
      state.set(file, 'visiting');
      for (const next of graph.get(file) ?? []) visit(next, [...path, file]);
      state.set(file, 'done');
    };
    for (const file of files) visit(file, []);
    assert.deepEqual(cycles, []);
  });
});

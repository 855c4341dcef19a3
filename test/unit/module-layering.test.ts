import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const root = resolve(__dirname, '../..');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

/** Every relative import of a file (types too), as paths from the repository root without extension. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:from |import\()'(\.[^']+)'/g)].map((m) =>
    relative(root, resolve(dirname(file), m[1] ?? '')),
  );
}

// sinks/ are plugins: they see the sink contract, the event types and a few shared libraries of src/,
// never the receiver, pipeline, config or app. src/ sees sinks only through their registry.
const sinksMayImport = ['src/contracts/', 'src/event/', 'src/redis/', 'src/standard-webhooks/'];
const srcMayImport = ['sinks'];

describe('module layering', () => {
  it('sinks/ import from src/ only the contract and shared libraries', () => {
    const wrong = sourceFiles(join(root, 'sinks')).flatMap((file) =>
      importsOf(file)
        .filter((target) => target.startsWith('src/') && !sinksMayImport.some((p) => target.startsWith(p)))
        .map((target) => `${relative(root, file)} -> ${target}`),
    );
    assert.deepEqual(wrong, []);
  });

  it('src/ imports from sinks/ only the registry (sinks/index.ts)', () => {
    const wrong = sourceFiles(join(root, 'src')).flatMap((file) =>
      importsOf(file)
        .filter((target) => target.startsWith('sinks') && !srcMayImport.includes(target))
        .map((target) => `${relative(root, file)} -> ${target}`),
    );
    assert.deepEqual(wrong, []);
  });
});

import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../../src/config/config-error';
import { parseConfig } from '../../../src/config/load-config';
import { readEnv } from '../../../src/config/read-env';
import { substituteEnv } from '../../../src/config/substitute-env';

function substitute(value: unknown, env: Record<string, string>, readFile?: (p: string) => string) {
  const problems: string[] = [];
  const result = substituteEnv(value, env, problems, '', readFile);
  return { result, problems };
}

describe('substituteEnv', () => {
  it('${NAME:-default} takes the default when NAME is unset or empty, the value otherwise', () => {
    assert.deepEqual(substitute('${A:-x}', {}).result, 'x');
    assert.deepEqual(substitute('${A:-x}', { A: '' }).result, 'x');
    assert.deepEqual(substitute('${A:-x}', { A: 'set' }).result, 'set');
    assert.deepEqual(substitute('${A:-}', {}), { result: '', problems: [] });
    assert.deepEqual(substitute('a-${A:-http://h:1/p}', {}).result, 'a-http://h:1/p');
  });

  it('reads NAME_FILE when NAME is unset, trimming the final newline; NAME wins when both are set', () => {
    const files: Record<string, string> = { '/run/secrets/a': 'from-file\n' };
    const read = (p: string) => files[p] ?? assert.fail(`read ${p}`);
    assert.equal(substitute('${A}', { A_FILE: '/run/secrets/a' }, read).result, 'from-file');
    assert.equal(substitute('${A}', { A: 'env', A_FILE: '/run/secrets/a' }, read).result, 'env');
  });

  it('${file:/path} reads a file, and names the path and the field when it cannot', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ci-relay-file-'));
    writeFileSync(join(dir, 's'), 'secret-in-file\n');
    assert.equal(substitute(`\${file:${join(dir, 's')}}`, {}).result, 'secret-in-file');
    const missing = substitute({ sinks: [{ token: '${file:/nonexistent/x}' }] }, {});
    assert.deepEqual(missing.problems, ['sinks[0].token: cannot read the file /nonexistent/x (ENOENT)']);
    const missingVar = substitute({ token: '${B}' }, { B_FILE: '/nonexistent/y' });
    assert.deepEqual(missingVar.problems, ['token: cannot read B_FILE /nonexistent/y (ENOENT)']);
  });

  it("drops an empty entry of a source's secrets (an optional second secret), refuses a list left empty", () => {
    const yaml = (secrets: string) => `version: 1
sources: [{ id: gh, provider: github, secrets: ${secrets} }]
sinks: [{ id: a, type: http, url: "http://127.0.0.1:1/" }]
routes: [{ name: all, sinks: [a] }]
`;
    const config = parseConfig(yaml('["${NEW}", "${OLD:-}"]'), 'r', { NEW: 'new-secret' });
    assert.deepEqual(config.sources.get('gh')?.secrets, ['new-secret']);
    assert.throws(
      () => parseConfig(yaml('["${OLD:-}"]'), 'r', {}),
      (e: unknown) => e instanceof ConfigError && e.problems.some((p) => p.includes('secrets')),
    );
  });
});

describe('readEnv', () => {
  it('reads .env as it is now, under the process environment', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ci-relay-env-'));
    const file = join(dir, '.env');
    writeFileSync(file, 'A=from-file\nB=from-file\n');
    assert.deepEqual(readEnv({ B: 'from-process' }, file), { A: 'from-file', B: 'from-process' });
    writeFileSync(file, 'A=edited\n');
    assert.equal(readEnv({}, file).A, 'edited');
    assert.deepEqual(readEnv({ C: 'c' }, join(dir, 'none')), { C: 'c' });
  });
});

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseEnv } from 'node:util';
import { parseConfig } from '../../../src/config/load-config';

const root = join(__dirname, '../../..');
const yaml = readFileSync(join(root, 'config/relay.yaml'), 'utf8');

/** The variables of .env.example, the commented ones (`# NAME=value`) included. */
function exampleEnv(): NodeJS.ProcessEnv {
  const text = readFileSync(join(root, '.env.example'), 'utf8').replace(/^# ([A-Z][A-Z0-9_]*=)/gm, '$1');
  return parseEnv(text);
}

/** Commented YAML blocks: a `# - ` line and the deeper `#   ` lines after it, as [first, last] line indexes. */
function commentedBlocks(lines: readonly string[]): Array<[number, number]> {
  const blocks: Array<[number, number]> = [];
  for (let i = 0; i < lines.length; i++) {
    const head = /^(\s*)# - /.exec(lines[i] ?? '');
    if (!head) continue;
    const indent = head[1] ?? '';
    let end = i;
    while (lines[end + 1]?.startsWith(`${indent}#   `)) end++;
    blocks.push([i, end]);
    i = end;
  }
  return blocks;
}

function uncomment(lines: readonly string[], [first, last]: [number, number]): string[] {
  return lines.map((line, i) => (i >= first && i <= last ? line.replace(/^(\s*)# /, '$1') : line));
}

describe('config/relay.yaml, the shipped example', () => {
  const lines = yaml.split('\n');
  const blocks = commentedBlocks(lines);

  it('has commented blocks to try (GitLab, Slack, email, a route)', () => {
    assert.ok(blocks.length >= 4, `found ${blocks.length}`);
  });

  it('loads as shipped with the variables of .env.example', () => {
    assert.doesNotThrow(() => parseConfig(yaml, 'relay.yaml', exampleEnv()));
  });

  for (const block of commentedBlocks(yaml.split('\n'))) {
    it(`loads with the block at line ${block[0] + 1} uncommented where it stands (${lines[block[0]]?.trim()})`, () => {
      const text = uncomment(lines, block).join('\n');
      assert.doesNotThrow(() => parseConfig(text, 'relay.yaml', exampleEnv()));
    });
  }

  it('loads with every block uncommented at once', () => {
    const text = blocks.reduce((acc, block) => uncomment(acc, block), lines).join('\n');
    const config = parseConfig(text, 'relay.yaml', exampleEnv());
    assert.deepEqual([...config.sinks.keys()], ['audit', 'team-slack', 'oncall-mail']);
  });

  it('reads its optional rotation secret: absent, empty, or set', () => {
    const env = exampleEnv();
    delete env.GITHUB_WEBHOOK_SECRET_PREVIOUS;
    assert.deepEqual(parseConfig(yaml, 'r', env).sources.get('github')?.secrets, ['change-me-github-secret']);
    const rotating = parseConfig(yaml, 'r', { ...env, GITHUB_WEBHOOK_SECRET_PREVIOUS: 'old-one' });
    assert.deepEqual(rotating.sources.get('github')?.secrets, ['change-me-github-secret', 'old-one']);
  });

  it('reads a secret from NAME_FILE when NAME is unset (Docker/Kubernetes secrets)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ci-relay-secret-'));
    writeFileSync(join(dir, 'github'), 'from-a-file\n');
    const env = exampleEnv();
    delete env.GITHUB_WEBHOOK_SECRET;
    env.GITHUB_WEBHOOK_SECRET_FILE = join(dir, 'github');
    assert.deepEqual(parseConfig(yaml, 'r', env).sources.get('github')?.secrets, ['from-a-file']);
  });
});

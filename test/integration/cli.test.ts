import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseEnv } from 'node:util';
import { relayWarnings } from '../../src/app/relay-warnings';
import { loadConfig } from '../../src/config/load-config';
import { readPublishedSecrets } from '../../src/config/read-published-secrets';

const root = join(__dirname, '../..');

/** Runs `ci-relay ARGS` (src/main.ts through tsx) in `cwd` with a clean environment. */
function ciRelay(args: string[], cwd: string) {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !/SECRET|WHSEC|AUDIT_URL|RELAY_CONFIG/.test(k)),
  );
  return spawnSync(process.execPath, ['-r', require.resolve('tsx/cjs'), join(root, 'src/main.ts'), ...args], {
    cwd,
    env,
    encoding: 'utf8',
  });
}

describe("ci-relay CLI, the operator's first commands", function () {
  this.timeout(60_000);

  it('--version prints the package version', () => {
    const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
    const run = ciRelay(['--version'], tmpdir());
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.stdout.trim(), version);
  });

  it('init writes a private .env with fresh secrets that check-config accepts, and prints how to point GitHub at it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ci-relay-init-'));
    const run = ciRelay(['init'], dir);
    assert.equal(run.status, 0, run.stderr);
    const env = parseEnv(readFileSync(join(dir, '.env'), 'utf8'));
    assert.equal(statSync(join(dir, '.env')).mode & 0o777, 0o600);
    const published = readPublishedSecrets(join(root, '.env.example'));
    assert.ok(published.size >= 3, 'the example publishes secrets');
    for (const [name, value] of Object.entries(env))
      assert.ok(value === undefined || !published.has(value), `${name} is still the published value`);
    assert.match(run.stdout, /Payload URL: +https:\/\/<your-relay-host>\/hooks\/github/);
    assert.ok(env.GITHUB_WEBHOOK_SECRET && run.stdout.includes(env.GITHUB_WEBHOOK_SECRET));
    assert.match(env.GENERIC_WEBHOOK_SECRET ?? '', /^whsec_/);

    const config = loadConfig(join(root, 'config/relay.yaml'), env);
    assert.deepEqual(
      relayWarnings(config, { host: '127.0.0.1', published }),
      [],
      'no published secret in use',
    );
    const check = ciRelay(['check-config', join(root, 'config/relay.yaml')], dir);
    assert.equal(check.status, 0, check.stderr);

    const again = ciRelay(['init'], dir);
    assert.equal(again.status, 0);
    assert.match(again.stdout, /exists: kept/);
    assert.equal(
      parseEnv(readFileSync(join(dir, '.env'), 'utf8')).GITHUB_WEBHOOK_SECRET,
      env.GITHUB_WEBHOOK_SECRET,
    );
  });

  it('the shipped config with the published .env.example values is warned about', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ci-relay-example-'));
    writeFileSync(join(dir, '.env'), readFileSync(join(root, '.env.example')));
    const env = parseEnv(readFileSync(join(dir, '.env'), 'utf8'));
    const config = loadConfig(join(root, 'config/relay.yaml'), env);
    const warnings = relayWarnings(config, {
      host: '0.0.0.0',
      published: readPublishedSecrets(join(root, '.env.example')),
    });
    assert.ok(warnings.some((w) => w.includes('GITHUB_WEBHOOK_SECRET')));
    assert.ok(warnings.some((w) => w.includes('AUDIT_WHSEC')));
    assert.ok(warnings.some((w) => w.includes('listening on all interfaces')));
    assert.equal(relayWarnings(config, { host: '0.0.0.0', tlsInFront: true }).length, 0);
  });
});

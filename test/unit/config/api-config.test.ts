import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../../../src/config/config-error';
import { loadConfig, parseConfig } from '../../../src/config/load-config';

const dir = join(__dirname, '../../fixtures/config');
const opsKey = 'cir_ops-key-from-the-environment-0123456789';

function problemsOf(file: string): readonly string[] {
  try {
    loadConfig(join(dir, 'invalid', `${file}.yaml`), {});
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    return e.problems;
  }
  assert.fail(`${file} was accepted`);
}

describe('loadConfig: the api section and rate limits', () => {
  it('loads keys as SHA-256 buffers, hashes a plain key and keeps no clear key', () => {
    const config = loadConfig(join(dir, 'api-valid.yaml'), { OPS_KEY: opsKey });
    const api = config.api;
    assert.ok(api);
    assert.deepEqual(
      api.keys.map((k) => [k.id, k.sha256.toString('hex'), [...k.scopes]]),
      [
        ['dashboard', 'a'.repeat(64), ['read']],
        ['ops', createHash('sha256').update(opsKey).digest('hex'), ['read', 'write']],
      ],
    );
    assert.deepEqual(api.rateLimit, { requests: 600, perSeconds: 60 });
    assert.deepEqual(api.oauth, {
      issuer: 'https://idp.example.com/realms/ci',
      audience: 'ci-relay',
      scopes: { claim: 'scope', read: 'ci-relay:read', write: 'ci-relay:write' },
    });
    assert.ok(!JSON.stringify(config, (_k, v: unknown) => (v instanceof Set ? [...v] : v)).includes(opsKey));
    assert.deepEqual(config.sources.get('ci')?.rateLimit, { requests: 100, perSeconds: 10 });
  });

  it('config/relay.yaml: its commented api block is valid once uncommented, nested oauth included', () => {
    const lines = readFileSync(join(__dirname, '../../../config/relay.yaml'), 'utf8').split('\n');
    const start = lines.indexOf('#api:');
    assert.ok(start > 0, 'no "#api:" line');
    const block = lines.slice(start).filter((l) => l.startsWith('#'));
    const env = {
      GITHUB_WEBHOOK_SECRET: 'x',
      GENERIC_WEBHOOK_SECRET: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
      AUDIT_URL: 'http://127.0.0.1:9100/e',
      AUDIT_WHSEC: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
    };
    const once = [...lines.slice(0, start), ...block.map((l) => l.slice(1))].join('\n');
    assert.equal(parseConfig(once, 'relay.yaml', env).api?.keys[0]?.id, 'dashboard');
    const twice = [
      ...lines.slice(0, start),
      ...block.map((l) => l.slice(1).replace(/^ {2}# (?=oauth:| {2})/, '  ')),
    ].join('\n');
    assert.equal(parseConfig(twice, 'relay.yaml', env).api?.oauth?.audience, 'ci-relay');
  });

  it('has no api settings without an api section', () => {
    assert.equal(loadConfig(join(dir, 'valid.yaml'), { GH_SECRET: 'x' }).api, undefined);
  });

  const cases: Array<[string, RegExp]> = [
    ['api-duplicate-key-ids', /^api\.keys: duplicate id "ops"$/],
    ['api-key-with-sha256-and-key', /^api\.keys\[0\] \(ops\): give either sha256 or key, not both$/],
    [
      'api-key-without-sha256-or-key',
      /^api\.keys\[0\] \(ops\): needs sha256 \(the key's hex SHA-256\) or key$/,
    ],
    ['api-key-bad-hex', /^api\.keys\[0\] \(ops\)\.sha256: must be 64 hexadecimal characters/],
    ['api-key-too-short', /^api\.keys\[0\] \(ops\)\.key: shorter than 16 characters/],
    ['api-unknown-scope', /^api\.keys\[0\]\.scopes\[1\]: must be one of "read", "write"$/],
    ['api-unknown-key', /^api: unknown key "ratelimit"$/],
    ['api-empty', /^api: no keys and no oauth/],
    ['api-oauth-without-scopes', /^api\.oauth\.scopes: is required$/],
    ['source-bad-rate-limit', /^sources\[0\]\.rateLimit\.requests: must be >= 1$/],
  ];
  for (const [file, expected] of cases) {
    it(`refuses ${file}`, () => {
      const problems = problemsOf(file);
      assert.ok(
        problems.some((p) => expected.test(p)),
        `no problem matches ${String(expected)} in:\n  ${problems.join('\n  ')}`,
      );
    });
  }

  it('never prints a key in its errors', () => {
    const problems = problemsOf('api-key-too-short').join('\n');
    assert.ok(!problems.includes('hunter2'), problems);
  });
});

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ConfigError } from '../../../src/config/config-error';
import { loadConfig } from '../../../src/config/load-config';

const dir = join(__dirname, '../../fixtures/config');
const env = { GH_SECRET: 'from-the-environment' };

function problemsOf(file: string): readonly string[] {
  try {
    loadConfig(join(dir, 'invalid', `${file}.yaml`), env);
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    return e.problems;
  }
  assert.fail(`${file} was accepted`);
}

describe('loadConfig', () => {
  it('loads a valid file: env substituted, defaults applied, routes compiled', () => {
    const config = loadConfig(join(dir, 'valid.yaml'), env);
    assert.deepEqual(config.sources.get('github')?.secrets, ['from-the-environment']);
    assert.equal(config.bodyLimitBytes, 1024 * 1024);
    assert.equal(config.deliveryTtlSeconds, 3 * 24 * 3600);
    assert.equal(config.workerNice, 10);
    assert.deepEqual(
      config.routes.map((r) => [r.name, r.continue, r.conditions.map((c) => c.key)]),
      [
        ['failures', true, ['repository', 'branch', 'status']],
        ['all', false, []],
      ],
    );
  });

  it('accepts the example config/relay.yaml with the variables of .env.example', () => {
    const whsec = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const example = {
      GITHUB_WEBHOOK_SECRET: 'x',
      GENERIC_WEBHOOK_SECRET: whsec,
      AUDIT_URL: 'http://127.0.0.1:9100/e',
      AUDIT_WHSEC: whsec,
    };
    assert.doesNotThrow(() => loadConfig(join(__dirname, '../../../config/relay.yaml'), example));
  });

  it('does not substitute again inside the value of a variable', () => {
    const config = loadConfig(join(dir, 'valid.yaml'), { GH_SECRET: 'a$${NOT_A_VAR}b' });
    assert.deepEqual(config.sources.get('github')?.secrets, ['a$${NOT_A_VAR}b']);
  });

  const cases: Array<[string, RegExp]> = [
    ['unknown-top-level-key', /^\(top level\): unknown key "colour"$/],
    ['unknown-sink-key', /^sinks\[0\]: unknown key "tiemout"$/],
    ['unknown-sink-in-route', /^routes\[0\]: route "r1" names unknown sink "team-slak"$/],
    [
      'missing-env-variable',
      /^sources\[0\]\.secrets\[0\]: environment variable CI_RELAY_TEST_UNSET_VARIABLE is not set$/,
    ],
    ['bad-glob', /^routes\[0\] \(r1\)\.match\.branch: invalid glob "release\/\["/],
    ['unknown-sink-type', /^sinks\[0\]\.type: unknown type "carrier-pigeon"$/],
    ['unknown-provider', /^sources\[0\]\.provider: must be one of "github"/],
    [
      'source-without-credentials',
      /^sources\[0\] \(github\): no credentials \(secrets\); set one, or "insecure: true"/,
    ],
    [
      'credential-the-provider-does-not-take',
      /^sources\[0\] \(github\): provider github does not take "token"/,
    ],
    ['duplicate-ids', /^sources: duplicate id "github"$/],
    [
      'bad-whsec-secret',
      /^sources\[0\] \(ci\)\.secrets\[0\]: a Standard Webhooks secret holds 24 to 64 bytes$/,
    ],
    [
      'http-sink-bad-secret',
      /^sinks\[0\] \(audit\)\.secret: a Standard Webhooks secret holds 24 to 64 bytes$/,
    ],
    ['bad-status-value', /^routes\[0\]\.match\.status\[1\]: must be one of "queued", "running"/],
    [
      'plain-secret-for-standard-webhooks',
      /^sources\[0\] \(gitlab\)\.secrets\[0\]: provider gitlab verifies Standard Webhooks signatures; its secrets are whsec_ keys$/,
    ],
    ['yaml-syntax-error', /^YAML: /],
    ['wrong-version', /^version: must be equal to constant$/],
    ['worker-nice-out-of-range', /^workers\.nice: must be <= 19$/],
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

  it('lists every problem of a file at once', () => {
    assert.deepEqual(problemsOf('duplicate-ids'), [
      'sources: duplicate id "github"',
      'sinks: duplicate id "audit"',
      'routes: duplicate name "r"',
    ]);
  });

  it('names the file and never prints a secret value', () => {
    assert.throws(
      () => loadConfig(join(dir, 'invalid', 'credential-the-provider-does-not-take.yaml'), env),
      (e: unknown) =>
        e instanceof ConfigError &&
        /credential-the-provider-does-not-take\.yaml: 1 error/.test(e.message) &&
        !/abc/.test(e.message),
    );
  });

  it('reports a file it cannot read', () => {
    assert.throws(() => loadConfig(join(dir, 'nope.yaml')), /cannot read the file \(ENOENT\)/);
  });
});

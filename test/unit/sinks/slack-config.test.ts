import assert from 'node:assert/strict';
import { ConfigError } from '../../../src/config/config-error';
import { parseConfig } from '../../../src/config/load-config';
import { sinkDefaultRateLimits, sinkFactories } from '../../../sinks';
import { createSlackSink } from '../../../sinks/slack';

function yaml(sink: string, routeOptions = ''): string {
  return `
version: 1
sources: [{ id: gh, provider: github, secrets: [s] }]
sinks:
  - id: team-slack
    type: slack
    token: xoxb-1
    channel: "#ci"
${sink}
routes:
  - name: r1
    sinks: [team-slack]
${routeOptions}
`;
}

function problems(text: string): readonly string[] {
  try {
    parseConfig(text, 'relay.yaml');
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    return e.problems;
  }
  return [];
}

describe('slack sink config', () => {
  it('is registered, with no sink-wide default rate limit (it paces each channel itself)', () => {
    assert.equal(sinkFactories.slack, createSlackSink);
    assert.equal(sinkDefaultRateLimits.slack, undefined);
  });

  it('accepts every key', () => {
    const config = parseConfig(
      yaml(`    apiUrl: http://127.0.0.1:9999/api/
    timeoutMs: 5000
    perChannelPerSecond: 0.5
    mentions: { mona@acme.example: U0MONA, octocat: W0OCTO }
    templates: { text: "{{headline}}", headline: "{{emoji}} {{repository}}", reply: "{{event.job.name}}" }
    retry: { attempts: 3 }
    rateLimit: { max: 2, perMs: 1000 }`),
      'relay.yaml',
    );
    assert.equal(config.sinks.get('team-slack')?.type, 'slack');
  });

  it('reports a template that does not compile at load, naming the key', () => {
    assert.deepEqual(
      problems(
        yaml('    templates: { headline: "{{#if status}}open", reply: "{{nosuchhelper event}}" }'),
      ).map((p) => p.split(':')[0]),
      ['sinks[0] (team-slack).templates.headline', 'sinks[0] (team-slack).templates.reply'],
    );
  });

  it('checks route options: a channel and templates, compiled too; nothing else', () => {
    const ok = '    options:\n      team-slack: { channel: "#alerts", templates: { text: "{{headline}}" } }';
    assert.deepEqual(problems(yaml('', ok)), []);
    const broken = '    options:\n      team-slack: { templates: { text: "{{#each}}" } }';
    assert.match(
      problems(yaml('', broken))[0] ?? '',
      /^routes\[0\] \(r1\)\.options\.team-slack\.templates\.text: /,
    );
    const unknown = '    options:\n      team-slack: { colour: red }';
    assert.match(problems(yaml('', unknown))[0] ?? '', /colour/);
  });

  it('rejects a perChannelPerSecond that is not a positive number', () => {
    for (const value of ['0', '-1', '"fast"'])
      assert.match(
        problems(yaml(`    perChannelPerSecond: ${value}`))[0] ?? '',
        /perChannelPerSecond/,
        value,
      );
  });

  it('rejects a mention that is not a Slack user id, and unknown keys', () => {
    assert.match(problems(yaml('    mentions: { mona: "@mona" }'))[0] ?? '', /mentions/);
    assert.match(problems(yaml('    webhook: https://hooks.slack.com/x'))[0] ?? '', /webhook/);
  });
});

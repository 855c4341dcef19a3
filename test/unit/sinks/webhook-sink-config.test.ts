import assert from 'node:assert/strict';
import { parseConfig } from '../../../src/config/load-config';
import { ConfigError } from '../../../src/config/config-error';

/** The problems a config with this one sink has, or [] when it loads. */
function problemsOf(sink: Record<string, unknown>): string[] {
  const text = JSON.stringify({
    version: 1,
    sources: [{ id: 'ci', provider: 'generic', insecure: true }],
    sinks: [sink],
    routes: [{ name: 'all', sinks: [sink.id] }],
  });
  try {
    parseConfig(text, 'relay.json', {});
    return [];
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return [...error.problems];
  }
}

describe('teams, discord, mattermost, googlechat and pagerduty sink config', () => {
  it('accepts each with its documented keys', () => {
    const sinks = [
      {
        id: 't',
        type: 'teams',
        url: 'https://prod-1.westeurope.logic.azure.com/workflows/x?sig=abc',
        timeoutMs: 5000,
      },
      {
        id: 'd',
        type: 'discord',
        url: 'https://discord.com/api/webhooks/1/tok',
        username: 'CI',
        avatarUrl: 'https://x/y.png',
      },
      {
        id: 'm',
        type: 'mattermost',
        url: 'https://chat.example.com/hooks/abc',
        channel: 'ci',
        username: 'ci',
        iconUrl: 'https://x/i.png',
      },
      { id: 'g', type: 'googlechat', url: 'https://chat.googleapis.com/v1/spaces/A/messages?key=k&token=t' },
      {
        id: 'p',
        type: 'pagerduty',
        routingKey: 'R0UT1NGKEYa1b2c3d4e5f6a7b8c9d0e1',
        severity: 'critical',
        apiUrl: 'https://events.eu.pagerduty.com/v2/enqueue',
      },
    ];
    for (const sink of sinks) assert.deepEqual(problemsOf(sink), [], sink.type);
  });

  it('refuses unknown keys, a bad severity and a missing routing key or url', () => {
    assert.ok(
      problemsOf({ id: 't', type: 'teams', url: 'https://x/y', channel: 'ci' }).some((p) =>
        /channel/.test(p),
      ),
    );
    assert.ok(
      problemsOf({ id: 'p', type: 'pagerduty', routingKey: 'k', severity: 'high' }).some((p) =>
        /severity/.test(p),
      ),
    );
    assert.ok(problemsOf({ id: 'p', type: 'pagerduty' }).some((p) => /routingKey/.test(p)));
    assert.ok(problemsOf({ id: 'd', type: 'discord' }).some((p) => /url/.test(p)));
  });

  it('refuses a URL that does not parse, without printing it (it holds the token)', () => {
    const problems = problemsOf({
      id: 'd',
      type: 'discord',
      url: 'https://discord com/api/webhooks/1/s3cr3t',
    });
    assert.deepEqual(problems, ['sinks[0] (d).url: not a valid URL']);
    assert.deepEqual(problemsOf({ id: 'p', type: 'pagerduty', routingKey: 'k', apiUrl: 'http://a b/' }), [
      'sinks[0] (p).apiUrl: not a valid URL',
    ]);
  });
});

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import request from 'supertest';
import { standardWebhookHeaders } from '../helpers/sign';
import { startRedis, type TestRedis } from '../helpers/start-redis';
import { startTestRelay, type TestRelay } from '../helpers/start-test-relay';

const secret = `whsec_${Buffer.from('source-rate-limit-secret-32-bytes!!').toString('base64')}`;

function configYaml(rateLimit: string): string {
  return `version: 1
sources:
  - id: limited
    provider: generic
    secrets: ["${secret}"]
${rateLimit}
  - id: free
    provider: generic
    secrets: ["${secret}"]
sinks: []
routes: []
`;
}

const body = JSON.stringify({
  kind: 'pipeline',
  status: 'failure',
  providerStatus: 'failed',
  repository: { name: 'acme/monorepo' },
  branch: 'main',
  commit: { sha: '0123456789abcdef0123456789abcdef01234567' },
  pipeline: { id: '77', name: 'nightly' },
});

describe('per-source webhook rate limit', function () {
  this.timeout(30_000);
  let redis: TestRedis;
  const relays: TestRelay[] = [];
  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    await Promise.all(relays.map((r) => r.close()));
    await redis.stop();
  });

  const post = (relay: TestRelay, source: string, signed = true) =>
    request(relay.url)
      .post(`/hooks/${source}`)
      .set('content-type', 'application/json')
      .set(signed ? standardWebhookHeaders(secret, `msg_${randomUUID()}`, body) : {})
      .send(body);

  it('answers 429 rate_limited with Retry-After past the limit, shared by two receivers; other sources unaffected', async () => {
    const prefix = `test-${randomUUID()}`;
    const yaml = configYaml('    rateLimit: { requests: 2, perSeconds: 60 }');
    const a = await startTestRelay({ configYaml: yaml, redisUrl: redis.url, role: 'receiver', prefix });
    const b = await startTestRelay({ configYaml: yaml, redisUrl: redis.url, role: 'receiver', prefix });
    relays.push(a, b);
    // Unsigned requests are refused before they are counted.
    for (let i = 0; i < 3; i++) assert.equal((await post(a, 'limited', false)).status, 401);
    assert.equal((await post(a, 'limited')).status, 202);
    assert.equal((await post(b, 'limited')).status, 202);
    const res = await post(a, 'limited');
    assert.equal(res.status, 429, JSON.stringify(res.body));
    assert.equal(res.body.error.code, 'rate_limited');
    const retryAfter = Number(res.headers['retry-after']);
    assert.ok(retryAfter >= 1 && retryAfter <= 60, String(retryAfter));
    assert.equal((await post(b, 'limited')).status, 429);
    for (let i = 0; i < 4; i++) assert.equal((await post(a, 'free')).status, 202);
    const metrics = (await request(a.url).get('/metrics')).text;
    assert.match(metrics, /ci_relay_webhooks_total\{[^}]*outcome="rate_limited"[^}]*\} 1/);
  });

  it('is off by default, and follows a reloaded config', async () => {
    const relay = await startTestRelay({ configYaml: configYaml(''), redisUrl: redis.url, role: 'receiver' });
    relays.push(relay);
    for (let i = 0; i < 5; i++) assert.equal((await post(relay, 'limited')).status, 202);
    writeFileSync(relay.configFile, configYaml('    rateLimit: { requests: 1, perSeconds: 60 }'));
    assert.equal(relay.configStore.reload(), true);
    assert.equal((await post(relay, 'limited')).status, 202);
    assert.equal((await post(relay, 'limited')).status, 429);
  });
});

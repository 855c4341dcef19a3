import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import type { Insights } from '../../src/insights/compute-insights';
import { checkAgainstOpenApi } from '../helpers/check-openapi';
import { githubSignature } from '../helpers/sign';
import { startRedis, type TestRedis } from '../helpers/start-redis';
import { startTestRelay, waitFor, type TestRelay } from '../helpers/start-test-relay';

const githubSecret = 'insights-test-github-secret';
const readKey = `cir_read_${'i'.repeat(40)}`;
const writeKey = `cir_write_${'j'.repeat(40)}`;
const env = { GITHUB_SECRET: githubSecret, INS_READ_KEY: readKey, INS_WRITE_KEY: writeKey };

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const fixture = (name: string): Json =>
  JSON.parse(readFileSync(join(__dirname, '../fixtures/github', name), 'utf8')) as Json;

const configYaml = (api = true) => `
version: 1
sources:
  - id: github
    provider: github
    secrets: ["\${GITHUB_SECRET}"]
sinks:
  - { id: hook, type: http, url: "http://127.0.0.1:9/unused" }
routes:
  - name: nothing
    match: { repository: nobody/* }
    sinks: [hook]
${
  api
    ? `api:
  keys:
    - { id: wallboard, key: "\${INS_READ_KEY}", scopes: [read] }
    - { id: ops, key: "\${INS_WRITE_KEY}", scopes: [read, write] }`
    : ''
}
`;

describe('GET /v1/insights and GET /v1/whoami (real pipeline, real Redis)', function () {
  this.timeout(30_000);
  let redis: TestRedis;
  let relay: TestRelay;

  async function api(path: string, key?: string) {
    let req = request(relay.url).get(path);
    if (key) req = req.set('authorization', `Bearer ${key}`);
    const res = await req;
    checkAgainstOpenApi('GET', path, res.status, res.body);
    return res;
  }
  function post(event: string, payload: Json) {
    const body = JSON.stringify(payload);
    return request(relay.url)
      .post('/hooks/github')
      .set('content-type', 'application/json')
      .set('x-github-event', event)
      .set('x-github-delivery', randomUUID())
      .set('x-hub-signature-256', githubSignature(githubSecret, body))
      .send(body)
      .expect(202);
  }

  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    await redis.stop();
  });
  beforeEach(async () => {
    relay = await startTestRelay({ configYaml: configYaml(), redisUrl: redis.url, env });
  });
  afterEach(async () => {
    await relay.close();
  });

  it('names the key and its scopes', async () => {
    assert.deepEqual((await api('/v1/whoami', readKey)).body, {
      id: 'wallboard',
      kind: 'key',
      scopes: ['read'],
    });
    assert.deepEqual((await api('/v1/whoami', writeKey)).body, {
      id: 'ops',
      kind: 'key',
      scopes: ['read', 'write'],
    });
    assert.equal((await api('/v1/whoami')).status, 401);
    assert.equal((await api('/v1/whoami', 'cir_wrong')).status, 401);
  });

  it('computes runs, success rate, durations, queue time and failing jobs from received webhooks', async () => {
    const runs: Array<[number, 'success' | 'failure']> = [
      [501, 'success'],
      [502, 'failure'],
      [503, 'success'],
    ];
    for (const [id, conclusion] of runs) {
      const payload = fixture(`workflow_run.completed.${conclusion}.json`);
      Object.assign(payload.workflow_run, { id, run_number: id });
      await post('workflow_run', payload);
    }
    const job = fixture('workflow_job.completed.failure.json');
    Object.assign(job.workflow_job, { id: 5021, run_id: 502 });
    await post('workflow_job', job);

    let insights: Insights | undefined;
    await waitFor(async () => {
      const res = await api('/v1/insights?window=24h', readKey);
      insights = res.body as Insights;
      return res.status === 200 && insights.totals.runs === 3 && insights.totals.failingJobs.length === 1;
    });
    const got = insights as Insights;
    assert.equal(got.window, '24h');
    assert.equal(got.truncated, false);
    assert.equal(got.totals.succeeded, 2);
    assert.equal(got.totals.failed, 1);
    assert.equal(got.totals.successRate, 2 / 3);
    assert.ok(got.totals.durationMs && got.totals.durationMs.p50 > 0);
    // The fixture's job was created at 10:40:14 and started at 10:40:19: 5 s waiting for a runner.
    assert.deepEqual(got.totals.queueMs, { p50: 5000, p95: 5000, count: 1 });
    assert.deepEqual(got.totals.failingJobs, [{ name: 'test (node 20)', failures: 1, runs: 1 }]);
    assert.deepEqual(
      got.groups.map((g) => [g.provider, g.repository, g.pipeline, g.runs]),
      [['github', 'acme/widgets', 'CI', 3]],
    );
    assert.equal(
      got.series.runs.reduce((a, b) => a + b, 0),
      3,
    );

    const week = (await api('/v1/insights?window=7d&repository=acme/*&pipeline=CI', readKey))
      .body as Insights;
    assert.equal(week.window, '7d');
    assert.equal(week.totals.runs, 3);
    const none = (await api('/v1/insights?repository=other/*', readKey)).body as Insights;
    assert.equal(none.totals.runs, 0);
    assert.deepEqual(none.groups, []);
  });

  it('refuses an unknown window or parameter, and needs a key', async () => {
    const bad = await api('/v1/insights?window=30d', readKey);
    assert.equal(bad.status, 400);
    assert.match(bad.body.error.message, /"window" must be one of 24h, 7d/);
    assert.equal((await api('/v1/insights?status=failure', readKey)).status, 400);
    assert.equal((await api('/v1/insights')).status, 401);
  });

  it('answers 404 without an api section', async () => {
    await relay.close();
    relay = await startTestRelay({ configYaml: configYaml(false), redisUrl: redis.url, env });
    assert.equal((await api('/v1/insights', readKey)).status, 404);
    assert.equal((await api('/v1/whoami', readKey)).status, 404);
  });
});

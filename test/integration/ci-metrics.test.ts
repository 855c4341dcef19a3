import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { createCiMetrics, createLabelCap } from '../../src/metrics/create-ci-metrics';
import { githubFixture, postGithub, type Json } from '../helpers/github-webhooks';
import { sampleEvent } from '../helpers/sample-event';
import { startRedis, type TestRedis } from '../helpers/start-redis';
import { startTestRelay, waitFor, type TestRelay } from '../helpers/start-test-relay';

const secret = 'ci-metrics-secret';

/** The value of one series of a metric on a /metrics page, or undefined. */
function metric(page: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of page.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const set = line.slice(name.length + 1, line.indexOf('}'));
    if (Object.entries(labels).every(([k, v]) => set.includes(`${k}="${v}"`)))
      return Number(line.split(' ').at(-1));
  }
  return undefined;
}

describe('CI metrics on /metrics (real pipeline, real Redis)', function () {
  this.timeout(30_000);
  let redis: TestRedis;
  let relay: TestRelay;

  before(async () => {
    redis = await startRedis();
    relay = await startTestRelay({
      redisUrl: redis.url,
      env: { GH: secret },
      configYaml: `
version: 1
sources: [{ id: github, provider: github, secrets: ["\${GH}"] }]
sinks: []
routes: []
`,
    });
  });
  after(async () => {
    await relay.close();
    await redis.stop();
  });

  const post = (event: string, payload: Json) =>
    postGithub(relay.url, secret, event, JSON.stringify(payload)).expect(202);
  const fixture = githubFixture;
  const page = async () => (await request(relay.url).get('/metrics')).text;

  it('counts a job waiting for a runner until it starts, then its queue time, per runner label set', async () => {
    await post('workflow_job', fixture('workflow_job.queued.json'));
    const waiting = { provider: 'github', runner_labels: 'ubuntu-latest' };
    await waitFor(async () => metric(await page(), 'ci_jobs_waiting', waiting) === 1);
    await post('workflow_job', fixture('workflow_job.in_progress.json'));
    await waitFor(async () => metric(await page(), 'ci_jobs_waiting', waiting) === undefined);
    const queued = metric(await page(), 'ci_job_queue_seconds_count', waiting);
    assert.equal(queued, 1);
    // Its completion does not count the queue time again.
    await post('workflow_job', fixture('workflow_job.completed.success.json'));
    await waitFor(
      async () => metric(await page(), 'ci_job_duration_seconds_count', { provider: 'github' }) === 1,
    );
    assert.equal(metric(await page(), 'ci_job_queue_seconds_count', waiting), 1);
  });

  it('counts finished pipelines by status, with their duration', async () => {
    await post('workflow_run', fixture('workflow_run.completed.failure.json'));
    const labels = { provider: 'github', repository: 'acme/widgets', pipeline: 'CI', status: 'failure' };
    await waitFor(async () => metric(await page(), 'ci_pipeline_runs_total', labels) === 1);
    assert.equal(
      metric(await page(), 'ci_pipeline_duration_seconds_count', { repository: 'acme/widgets' }),
      1,
    );
  });

  it('a queued job that never starts leaves ci_jobs_waiting after jobWaitingTimeoutSeconds', async () => {
    const registry = new Registry();
    const client = new Redis(redis.url);
    let clock = Date.UTC(2026, 10, 30);
    const settings = { maxSeries: 10, branch: false, jobWaitingTimeoutSeconds: 600 };
    const ci = createCiMetrics({
      registry,
      redis: client,
      prefix: `t-${randomUUID()}`,
      settings: () => settings,
      now: () => clock,
    });
    await ci.observe(
      sampleEvent({ kind: 'job', status: 'queued', job: { id: '1', name: 'build', runnerLabels: ['gpu'] } }),
    );
    const waiting = async () => metric(await registry.metrics(), 'ci_jobs_waiting', { runner_labels: 'gpu' });
    assert.equal(await waiting(), 1);
    clock += 601_000;
    assert.equal(await waiting(), undefined);
    client.disconnect();
  });

  it('caps label values: an allow-list, else the first maxSeries pairs; the rest are "other"', () => {
    const settings = { maxSeries: 2, branch: false, jobWaitingTimeoutSeconds: 3600 };
    const cap = createLabelCap(() => settings);
    const of = (repo: string, branch = 'main') => cap(sampleEvent({ repository: { name: repo }, branch }));
    assert.deepEqual(of('a/1'), { repository: 'a/1', pipeline: 'CI', branch: '' });
    assert.equal(of('a/2').repository, 'a/2');
    assert.equal(of('a/3').repository, 'other');
    assert.equal(of('a/1').repository, 'a/1');
    const allowed = createLabelCap(() => ({ ...settings, repositories: ['acme/*'], branch: true }));
    assert.deepEqual(allowed(sampleEvent({ repository: { name: 'acme/web' }, branch: 'dev' })), {
      repository: 'acme/web',
      pipeline: 'CI',
      branch: 'dev',
    });
    assert.equal(allowed(sampleEvent({ repository: { name: 'else/web' } })).repository, 'other');
  });
});

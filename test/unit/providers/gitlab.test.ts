import assert from 'node:assert/strict';
import type { SourceConfig } from '../../../src/config/source-config-schema';
import type { CiEventBody } from '../../../src/event/ci-event-schema';
import { gitlabProvider, gitlabStatuses } from '../../../src/providers/gitlab';
import type { NormalizeResult } from '../../../src/providers/provider';
import { assertPayloadError, onlyValidEvent, withField } from '../../helpers/provider-test-kit';
import { fixtureJson, request, type Json } from '../../helpers/provider-test-kit';
import { standardWebhookHeaders } from '../../helpers/sign';

const fixture = (name: string): Json => fixtureJson('gitlab', name);

function normalize(payload: unknown, hook?: string): NormalizeResult {
  return gitlabProvider.normalize(request(hook === undefined ? {} : { 'x-gitlab-event': hook }), payload);
}

/** Normalizes a payload that must give exactly one event, and checks that event against the CiEvent schema. */
function normalizeOne(payload: unknown, hook?: string): CiEventBody {
  return onlyValidEvent(normalize(payload, hook), {
    source: 'gitlab',
    provider: 'gitlab',
    deliveryId: 'd',
    receivedAt: '2024-06-03T12:00:00.000Z',
  });
}

const token = 'gl-secret-token-7f3a';
const signingToken = `whsec_${Buffer.from('gitlab-unit-test-signing-key-32by').toString('base64')}`;
const newerSigningToken = `whsec_${Buffer.from('gitlab-unit-test-rotated-key-32byt').toString('base64')}`;
const nowMs = Date.UTC(2024, 5, 3, 12, 0, 0);
const nowSeconds = Math.floor(nowMs / 1000);
const body = JSON.stringify({ object_kind: 'pipeline' });

const source = (keys: Pick<SourceConfig, 'token' | 'secrets'>): SourceConfig => ({
  id: 'gitlab',
  provider: 'gitlab',
  ...keys,
});

describe('gitlabProvider', () => {
  describe('verify: secret token (X-Gitlab-Token)', () => {
    it('accepts the configured token', () => {
      const req = request({ 'x-gitlab-token': token }, body);
      assert.equal(gitlabProvider.verify(req, source({ token }), nowMs), undefined);
    });

    it('rejects a wrong token as bad_signature', () => {
      for (const offered of ['gl-secret-token-7f3b', `${token} `, token.slice(0, -1)]) {
        const req = request({ 'x-gitlab-token': offered }, body);
        assert.equal(gitlabProvider.verify(req, source({ token }), nowMs)?.code, 'bad_signature', offered);
      }
    });

    it('rejects a missing or empty header as missing_signature', () => {
      for (const headers of [{}, { 'x-gitlab-token': '' }]) {
        assert.equal(
          gitlabProvider.verify(request(headers, body), source({ token }), nowMs)?.code,
          'missing_signature',
        );
      }
    });
  });

  describe('verify: signing token (Standard Webhooks headers)', () => {
    const signed = (secret: string, payload = body, seconds = nowSeconds) =>
      standardWebhookHeaders(secret, '2c1d5e8a-4b7f-4e0a-9d3c-6f5e4d3c2b1a', payload, seconds);

    it('accepts a body signed with the signing token', () => {
      const req = request(signed(signingToken), body);
      assert.equal(gitlabProvider.verify(req, source({ secrets: [signingToken] }), nowMs), undefined);
    });

    it('rejects a tampered body as bad_signature', () => {
      const req = request(signed(signingToken), body.replace('pipeline', 'pipelinf'));
      assert.equal(
        gitlabProvider.verify(req, source({ secrets: [signingToken] }), nowMs)?.code,
        'bad_signature',
      );
    });

    it('rejects missing headers as missing_signature', () => {
      const failure = gitlabProvider.verify(request({}, body), source({ secrets: [signingToken] }), nowMs);
      assert.equal(failure?.code, 'missing_signature');
    });

    it('rejects a timestamp more than 5 minutes away as stale_signature', () => {
      for (const seconds of [nowSeconds - 301, nowSeconds + 301]) {
        const req = request(signed(signingToken, body, seconds), body);
        const failure = gitlabProvider.verify(req, source({ secrets: [signingToken] }), nowMs);
        assert.equal(failure?.code, 'stale_signature', String(seconds));
      }
    });

    it('accepts any of the configured signing tokens (rotation)', () => {
      const req = request(signed(newerSigningToken), body);
      assert.equal(
        gitlabProvider.verify(req, source({ secrets: [signingToken, newerSigningToken] }), nowMs),
        undefined,
      );
      assert.equal(
        gitlabProvider.verify(req, source({ secrets: [signingToken] }), nowMs)?.code,
        'bad_signature',
      );
    });
  });

  describe('verify: token and signing token together', () => {
    const both = source({ token, secrets: [signingToken] });
    const sw = standardWebhookHeaders(signingToken, 'msg-1', body, nowSeconds);

    it('accepts a request that passes both', () => {
      assert.equal(
        gitlabProvider.verify(request({ 'x-gitlab-token': token, ...sw }, body), both, nowMs),
        undefined,
      );
    });

    it('requires both: one valid mechanism is not enough', () => {
      assert.equal(
        gitlabProvider.verify(request({ 'x-gitlab-token': token }, body), both, nowMs)?.code,
        'missing_signature',
      );
      assert.equal(gitlabProvider.verify(request(sw, body), both, nowMs)?.code, 'missing_signature');
    });

    it('reports a wrong credential as bad_signature even when the other is absent', () => {
      assert.equal(
        gitlabProvider.verify(request({ 'x-gitlab-token': 'nope' }, body), both, nowMs)?.code,
        'bad_signature',
      );
      const tampered = request({ 'x-gitlab-token': token, ...sw }, `${body} `);
      assert.equal(gitlabProvider.verify(tampered, both, nowMs)?.code, 'bad_signature');
    });

    it('rejects a request without any credentials as missing_signature', () => {
      assert.equal(gitlabProvider.verify(request({}, body), both, nowMs)?.code, 'missing_signature');
    });

    it('fails closed when the source has no credentials', () => {
      assert.equal(
        gitlabProvider.verify(request({ 'x-gitlab-token': token }, body), source({}), nowMs)?.code,
        'bad_signature',
      );
    });

    it('never puts a secret in its messages', () => {
      const cases = [
        {},
        { 'x-gitlab-token': 'wrong' },
        {
          'x-gitlab-token': token,
          'webhook-id': 'x',
          'webhook-timestamp': String(nowSeconds),
          'webhook-signature': 'v1,AAAA',
        },
      ];
      for (const headers of cases) {
        const failure = gitlabProvider.verify(request(headers, body), both, nowMs);
        assert.ok(failure);
        assert.ok(!failure.message.includes(token));
        assert.ok(!failure.message.includes(signingToken));
      }
    });
  });

  describe('deliveryId', () => {
    it('is the Idempotency-Key, which GitLab keeps across retries', () => {
      const req = request({
        'idempotency-key': 'f0e1d2c3-0000-4000-8000-000000000001',
        'webhook-id': 'other',
      });
      assert.equal(gitlabProvider.deliveryId(req, {}), 'f0e1d2c3-0000-4000-8000-000000000001');
    });

    it('falls back to webhook-id', () => {
      assert.equal(gitlabProvider.deliveryId(request({ 'webhook-id': 'msg_2xT' }), {}), 'msg_2xT');
    });

    it('leaves it to the body digest otherwise: X-Gitlab-Webhook-UUID changes on every request', () => {
      const req = request({
        'x-gitlab-webhook-uuid': '1b2c3d4e-0000-4000-8000-000000000002',
        'x-gitlab-event-uuid': 'e',
      });
      assert.equal(gitlabProvider.deliveryId(req, {}), undefined);
    });
  });

  describe('normalize Pipeline Hook', () => {
    it('success', () => {
      assert.deepEqual(normalizeOne(fixture('pipeline.success.json'), 'Pipeline Hook'), {
        kind: 'pipeline',
        status: 'success',
        providerStatus: 'success',
        repository: { name: 'acme/platform/api', url: 'https://gitlab.example.com/acme/platform/api' },
        branch: 'main',
        commit: {
          sha: '4f9d3c2b1a0e9f8d7c6b5a4f3e2d1c0b9a8f7e6d',
          message: 'Add rate limiting to the search endpoint\n',
          url: 'https://gitlab.example.com/acme/platform/api/-/commit/4f9d3c2b1a0e9f8d7c6b5a4f3e2d1c0b9a8f7e6d',
          author: { name: 'Ada Stone', email: 'ada.stone@acme.example' },
        },
        pipeline: {
          id: '1290117',
          name: 'CI',
          number: 812,
          url: 'https://gitlab.example.com/acme/platform/api/-/pipelines/1290117',
        },
        actor: { login: 'astone', name: 'Ada Stone', email: 'ada.stone@acme.example' },
        createdAt: '2024-06-03T08:14:02.000Z',
        finishedAt: '2024-06-03T08:21:40.000Z',
        durationMs: 431_000,
      });
    });

    it('failed merge request pipeline: the branch is the source branch, the MR is the pull request', () => {
      const event = normalizeOne(fixture('pipeline.failed.json'), 'Pipeline Hook');
      assert.equal(event.status, 'failure');
      assert.equal(event.providerStatus, 'failed');
      assert.equal(event.branch, 'feature/rate-limit');
      assert.equal(event.tag, undefined);
      assert.deepEqual(event.pullRequest, {
        number: 42,
        url: 'https://gitlab.example.com/acme/platform/api/-/merge_requests/42',
      });
      assert.equal(event.pipeline.name, 'pipeline');
      assert.equal(event.durationMs, 440_000);
    });

    it('drops an email GitLab sends as [REDACTED]', () => {
      const event = normalizeOne(fixture('pipeline.failed.json'), 'Pipeline Hook');
      assert.deepEqual(event.actor, { login: 'blind', name: 'Bo Lind' });
    });

    it('canceled tag pipeline', () => {
      const event = normalizeOne(fixture('pipeline.canceled.json'), 'Pipeline Hook');
      assert.equal(event.status, 'cancelled');
      assert.equal(event.providerStatus, 'canceled');
      assert.equal(event.tag, 'v2.4.0');
      assert.equal(event.branch, undefined);
      assert.equal(event.pipeline.name, 'Release');
    });

    it('running: not finished', () => {
      const event = normalizeOne(fixture('pipeline.running.json'), 'Pipeline Hook');
      assert.equal(event.status, 'running');
      assert.equal(event.finishedAt, undefined);
      assert.equal(event.durationMs, undefined);
      assert.equal(event.createdAt, '2024-06-03T14:30:00.000Z');
    });

    it('keeps a detailed_status that says more than the status', () => {
      const payload = withField(
        fixture('pipeline.success.json'),
        'object_attributes.detailed_status',
        'passed with warnings',
      );
      assert.equal(normalizeOne(payload).providerStatus, 'success (passed with warnings)');
      const manual = withField(
        withField(fixture('pipeline.running.json'), 'object_attributes.status', 'manual'),
        'object_attributes.detailed_status',
        'blocked',
      );
      assert.equal(normalizeOne(manual).providerStatus, 'manual (blocked)');
    });

    it('builds the pipeline URL from the project when the hook has none', () => {
      const payload = withField(fixture('pipeline.success.json'), 'object_attributes.url', undefined);
      assert.equal(
        normalizeOne(payload).pipeline.url,
        'https://gitlab.example.com/acme/platform/api/-/pipelines/1290117',
      );
    });

    it('throws a PayloadError naming a missing required field', () => {
      for (const field of [
        'object_attributes.id',
        'object_attributes.sha',
        'object_attributes.status',
        'project.path_with_namespace',
      ]) {
        assertPayloadError(
          () => normalize(withField(fixture('pipeline.success.json'), field, undefined)),
          field,
        );
      }
    });
  });

  describe('normalize Job Hook', () => {
    it('success', () => {
      assert.deepEqual(normalizeOne(fixture('job.success.json'), 'Job Hook'), {
        kind: 'job',
        status: 'success',
        providerStatus: 'success',
        repository: { name: 'acme/platform/api', url: 'https://gitlab.example.com/acme/platform/api' },
        branch: 'main',
        commit: {
          sha: '4f9d3c2b1a0e9f8d7c6b5a4f3e2d1c0b9a8f7e6d',
          message: 'Add rate limiting to the search endpoint\n',
          url: 'https://gitlab.example.com/acme/platform/api/-/commit/4f9d3c2b1a0e9f8d7c6b5a4f3e2d1c0b9a8f7e6d',
          author: { name: 'Ada Stone', email: 'ada.stone@acme.example' },
        },
        pipeline: {
          id: '1290117',
          name: 'CI',
          url: 'https://gitlab.example.com/acme/platform/api/-/pipelines/1290117',
        },
        job: {
          id: '55120832',
          name: 'unit',
          url: 'https://gitlab.example.com/acme/platform/api/-/jobs/55120832',
          stage: 'test',
          runnerLabels: ['docker'],
        },
        actor: { login: 'astone', name: 'Ada Stone', email: 'ada.stone@acme.example' },
        createdAt: '2024-06-03T08:14:02.000Z',
        startedAt: '2024-06-03T08:16:58.000Z',
        finishedAt: '2024-06-03T08:21:39.000Z',
        durationMs: 281_033,
      });
    });

    it('failed: the failure reason stays in the provider status', () => {
      const event = normalizeOne(fixture('job.failed.json'), 'Job Hook');
      assert.equal(event.status, 'failure');
      assert.equal(event.providerStatus, 'failed/script_failure');
      assert.equal(event.durationMs, 294_412);
    });

    it('says when a failed job was allowed to fail', () => {
      const payload = withField(fixture('job.failed.json'), 'build_allow_failure', true);
      const event = normalizeOne(payload, 'Job Hook');
      assert.equal(event.status, 'failure');
      assert.equal(event.providerStatus, 'failed/script_failure (allowed to fail)');
    });

    it('names no failure reason for a job that did not fail', () => {
      // job.success.json carries build_failure_reason "unknown_failure" even though it succeeded.
      assert.equal(normalizeOne(fixture('job.success.json')).providerStatus, 'success');
    });

    it('shares the pipeline id and default name with the Pipeline Hook of its pipeline', () => {
      const pipeline = normalizeOne(fixture('pipeline.failed.json'), 'Pipeline Hook');
      const job = normalizeOne(fixture('job.failed.json'), 'Job Hook');
      assert.equal(job.pipeline.id, pipeline.pipeline.id);
      assert.equal(job.pipeline.name, pipeline.pipeline.name);
      assert.equal(job.pipeline.url, pipeline.pipeline.url);
    });

    it('a retried job: a new job in the same pipeline', () => {
      const failed = normalizeOne(fixture('job.failed.json'), 'Job Hook');
      const retry = normalizeOne(fixture('job.retried.json'), 'Job Hook');
      assert.equal(retry.status, 'running');
      assert.equal(retry.pipeline.id, failed.pipeline.id);
      assert.equal(retry.job?.name, failed.job?.name);
      assert.notEqual(retry.job?.id, failed.job?.id);
      assert.equal(retry.finishedAt, undefined);
      assert.equal(retry.durationMs, undefined);
    });

    it('reads the older job hook shape: path from the project URL, pipeline id from commit.id', () => {
      const event = normalizeOne(fixture('job.legacy-canceled.json'), 'Build Hook');
      assert.equal(event.status, 'cancelled');
      assert.deepEqual(event.repository, {
        name: 'acme/legacy-tools',
        url: 'https://gitlab.example.com/acme/legacy-tools',
      });
      assert.equal(event.pipeline.id, '9907');
      assert.equal(event.pipeline.name, 'pipeline');
      assert.equal(event.job?.url, 'https://gitlab.example.com/acme/legacy-tools/-/jobs/30211');
      assert.equal(event.durationMs, 47_100);
    });

    it('uses project_name when there is no project and no URL to read the path from', () => {
      let payload = withField(fixture('job.legacy-canceled.json'), 'repository.homepage', undefined);
      payload = withField(payload, 'project_name', 'acme/legacy-tools');
      assert.equal(normalizeOne(payload).repository.name, 'acme/legacy-tools');
    });

    it('reads a tag job', () => {
      const payload = withField(withField(fixture('job.success.json'), 'tag', true), 'ref', 'v2.4.0');
      const event = normalizeOne(payload);
      assert.equal(event.tag, 'v2.4.0');
      assert.equal(event.branch, undefined);
    });

    it('throws a PayloadError naming a missing required field', () => {
      for (const field of ['build_id', 'build_name', 'build_status']) {
        assertPayloadError(() => normalize(withField(fixture('job.success.json'), field, undefined)), field);
      }
      const noPipeline = withField(
        withField(fixture('job.success.json'), 'pipeline_id', undefined),
        'commit.id',
        undefined,
      );
      assertPayloadError(() => normalize(noPipeline), 'pipeline_id');
      const noSha = withField(
        withField(fixture('job.success.json'), 'sha', undefined),
        'commit.sha',
        undefined,
      );
      assertPayloadError(() => normalize(noSha), 'commit.sha');
      let noRepository = withField(fixture('job.legacy-canceled.json'), 'repository.homepage', undefined);
      noRepository = withField(noRepository, 'project_name', undefined);
      assertPayloadError(() => normalize(noRepository), 'project_name');
    });
  });

  describe('status mapping', () => {
    const table: [status: string, expected: string][] = [
      ['created', 'queued'],
      ['waiting_for_resource', 'queued'],
      ['preparing', 'queued'],
      ['pending', 'queued'],
      ['running', 'running'],
      ['canceling', 'running'],
      ['success', 'success'],
      ['failed', 'failure'],
      ['canceled', 'cancelled'],
      ['skipped', 'skipped'],
      ['manual', 'waiting'],
      ['scheduled', 'waiting'],
    ];

    it('covers every value in the exported table', () => {
      assert.deepEqual(new Map(table), gitlabStatuses);
    });

    for (const [status, expected] of table) {
      it(`pipeline ${status} -> ${expected}`, () => {
        let payload = withField(fixture('pipeline.running.json'), 'object_attributes.status', status);
        payload = withField(payload, 'object_attributes.detailed_status', undefined);
        const event = normalizeOne(payload);
        assert.equal(event.status, expected);
        assert.equal(event.providerStatus, status);
      });

      it(`job ${status} -> ${expected}`, () => {
        const event = normalizeOne(withField(fixture('job.retried.json'), 'build_status', status));
        assert.equal(event.status, expected);
      });
    }

    it('throws a PayloadError on an unknown status', () => {
      assertPayloadError(
        () => normalize(withField(fixture('pipeline.running.json'), 'object_attributes.status', 'exploded')),
        'object_attributes.status',
      );
      assertPayloadError(
        () => normalize(withField(fixture('job.success.json'), 'build_status', 'exploded')),
        'build_status',
      );
    });
  });

  describe('other events', () => {
    it('ignores a push, saying why', () => {
      assert.deepEqual(normalize(fixture('push.json'), 'Push Hook'), {
        type: 'ignored',
        reason: 'GitLab event "push" is not a CI status event',
      });
    });

    it('takes the kind from X-Gitlab-Event when the body has no object_kind', () => {
      const payload = withField(fixture('pipeline.success.json'), 'object_kind', undefined);
      assert.equal(normalizeOne(payload, 'Pipeline Hook').kind, 'pipeline');
      assert.equal(normalize(payload, 'Tag Push Hook').type, 'ignored');
    });

    it('trusts object_kind over the header', () => {
      assert.equal(normalizeOne(fixture('job.success.json'), 'Pipeline Hook').kind, 'job');
    });

    it('throws a PayloadError when neither the body nor the headers say what it is', () => {
      const payload = withField(fixture('pipeline.success.json'), 'object_kind', undefined);
      assertPayloadError(() => normalize(payload), 'object_kind');
    });
  });
});

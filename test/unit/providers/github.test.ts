import assert from 'node:assert/strict';
import type { SourceConfig } from '../../../src/config/source-config-schema';
import type { CiEventBody } from '../../../src/event/ci-event-schema';
import { githubProvider } from '../../../src/providers/github';
import type { NormalizeResult } from '../../../src/providers/provider';
import { assertPayloadError, onlyValidEvent, withField } from '../../helpers/provider-test-kit';
import { fixtureJson, request, type Json } from '../../helpers/provider-test-kit';
import { githubSignature } from '../../helpers/sign';

const fixture = (name: string): Json => fixtureJson('github', name);

function normalize(event: string, payload: unknown): NormalizeResult {
  return githubProvider.normalize(request({ 'x-github-event': event, 'x-github-delivery': 'd' }), payload);
}

/** Normalizes a payload that must give exactly one event, and checks that event against the CiEvent schema. */
function normalizeOne(event: string, payload: unknown): CiEventBody {
  return onlyValidEvent(normalize(event, payload), {
    source: 'github',
    provider: 'github',
    deliveryId: 'd',
    receivedAt: new Date().toISOString(),
  });
}

const source = (secrets: string[]): SourceConfig => ({ id: 'github', provider: 'github', secrets });

describe('githubProvider', () => {
  describe('verify', () => {
    // https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries#testing-the-webhook-payload-validation
    const secret = "It's a Secret to Everybody";
    const signature = 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17';

    it("accepts GitHub's published test vector", () => {
      const req = request({ 'x-hub-signature-256': signature }, 'Hello, World!');
      assert.equal(githubProvider.verify(req, source([secret]), 0), undefined);
    });

    it('rejects a tampered body as bad_signature', () => {
      const req = request({ 'x-hub-signature-256': signature }, 'Hello, World?');
      assert.equal(githubProvider.verify(req, source([secret]), 0)?.code, 'bad_signature');
    });

    it('rejects a missing header as missing_signature', () => {
      const failure = githubProvider.verify(request({}, 'Hello, World!'), source([secret]), 0);
      assert.equal(failure?.code, 'missing_signature');
    });

    it('rejects a signature without the sha256= prefix and one that is not hex', () => {
      for (const header of [signature.slice('sha256='.length), 'sha1=757107ea', 'sha256=zz']) {
        const req = request({ 'x-hub-signature-256': header }, 'Hello, World!');
        assert.equal(githubProvider.verify(req, source([secret]), 0)?.code, 'bad_signature', header);
      }
    });

    it('accepts a body signed with any of the configured secrets (rotation)', () => {
      const body = '{"zen":"Keep it logically awesome."}';
      const req = request({ 'x-hub-signature-256': githubSignature('new-secret', body) }, body);
      assert.equal(githubProvider.verify(req, source(['old-secret', 'new-secret']), 0), undefined);
      assert.equal(githubProvider.verify(req, source(['old-secret']), 0)?.code, 'bad_signature');
    });

    it('never puts a secret in its messages', () => {
      const secrets = ['s3cr3t-one', 's3cr3t-two'];
      for (const headers of [{}, { 'x-hub-signature-256': 'sha256=00' }]) {
        const failure = githubProvider.verify(request(headers, 'x'), source(secrets), 0);
        assert.ok(failure);
        for (const s of secrets) assert.ok(!failure.message.includes(s));
      }
    });
  });

  it('takes the delivery id from X-GitHub-Delivery', () => {
    const req = request({ 'x-github-delivery': '72d3162e-cc78-11e3-81ab-4c9367dc0958' });
    assert.equal(githubProvider.deliveryId(req, {}), '72d3162e-cc78-11e3-81ab-4c9367dc0958');
  });

  describe('normalize workflow_run', () => {
    it('completed success', () => {
      const event = normalizeOne('workflow_run', fixture('workflow_run.completed.success.json'));
      assert.deepEqual(event, {
        kind: 'pipeline',
        status: 'success',
        providerStatus: 'completed/success',
        repository: { name: 'acme/widgets', url: 'https://github.com/acme/widgets' },
        branch: 'main',
        commit: {
          sha: '7f3c2a9e1b5d4c8f9a0e6b2d3c4f5a6b7c8d9e0f',
          message: 'Retry webhook deliveries with backoff\n\nCloses #1280',
          url: 'https://github.com/acme/widgets/commit/7f3c2a9e1b5d4c8f9a0e6b2d3c4f5a6b7c8d9e0f',
          author: { name: 'Mona Lisa', email: 'mona@acme.example' },
        },
        pipeline: {
          id: '11223344556',
          name: 'CI',
          number: 418,
          attempt: 1,
          url: 'https://github.com/acme/widgets/actions/runs/11223344556',
        },
        actor: { login: 'mona-dev' },
        createdAt: '2024-05-14T09:12:03.000Z',
        startedAt: '2024-05-14T09:12:03.000Z',
        finishedAt: '2024-05-14T09:16:47.000Z',
        durationMs: 284_000,
      });
    });

    it('completed failure', () => {
      const event = normalizeOne('workflow_run', fixture('workflow_run.completed.failure.json'));
      assert.equal(event.status, 'failure');
      assert.equal(event.providerStatus, 'completed/failure');
      assert.equal(event.pipeline.id, '11223399001');
      assert.equal(event.pipeline.number, 419);
      assert.equal(event.durationMs, 439_000);
    });

    it('in_progress: running, not finished', () => {
      const event = normalizeOne('workflow_run', fixture('workflow_run.in_progress.json'));
      assert.equal(event.status, 'running');
      assert.equal(event.providerStatus, 'in_progress');
      assert.equal(event.finishedAt, undefined);
      assert.equal(event.durationMs, undefined);
    });

    it('requested: queued', () => {
      const event = normalizeOne('workflow_run', fixture('workflow_run.requested.json'));
      assert.equal(event.kind, 'pipeline');
      assert.equal(event.status, 'queued');
      assert.equal(event.providerStatus, 'queued');
      assert.equal(event.pipeline.id, '11223399001');
    });

    it('a re-run: attempt 2, same pipeline id, the re-runner as actor, timed from the re-run start', () => {
      const event = normalizeOne('workflow_run', fixture('workflow_run.rerun-attempt-2.json'));
      assert.equal(event.pipeline.id, '11223399001');
      assert.equal(event.pipeline.attempt, 2);
      assert.deepEqual(event.actor, { login: 'hubot-ops' });
      assert.equal(event.startedAt, '2024-05-14T11:02:45.000Z');
      assert.equal(event.durationMs, 320_000);
    });

    it('for a pull request', () => {
      const event = normalizeOne('workflow_run', fixture('workflow_run.pull_request.json'));
      assert.equal(event.status, 'cancelled');
      assert.equal(event.branch, 'feature/retry-backoff');
      assert.deepEqual(event.pullRequest, { number: 1287, url: 'https://github.com/acme/widgets/pull/1287' });
    });

    it('leaves out a pull request into another repository', () => {
      const payload = withField(
        fixture('workflow_run.pull_request.json'),
        'workflow_run.pull_requests.0.base.repo',
        {
          id: 1,
          url: 'https://api.github.com/repos/upstream/widgets',
          name: 'widgets',
        },
      );
      assert.equal(normalizeOne('workflow_run', payload).pullRequest, undefined);
    });

    it('falls back to the workflow name, and builds the run URL, when the run lacks them', () => {
      let payload = withField(fixture('workflow_run.completed.success.json'), 'workflow_run.name', '');
      payload = withField(payload, 'workflow_run.html_url', undefined);
      payload = withField(payload, 'workflow.name', 'Release');
      const event = normalizeOne('workflow_run', payload);
      assert.equal(event.pipeline.name, 'Release');
      assert.equal(event.pipeline.url, 'https://github.com/acme/widgets/actions/runs/11223344556');
    });

    it('strips refs/heads/ and recognizes refs/tags/', () => {
      const base = fixture('workflow_run.completed.success.json');
      const branch = normalizeOne(
        'workflow_run',
        withField(base, 'workflow_run.head_branch', 'refs/heads/dev'),
      );
      assert.equal(branch.branch, 'dev');
      const tag = normalizeOne(
        'workflow_run',
        withField(base, 'workflow_run.head_branch', 'refs/tags/v2.1.0'),
      );
      assert.equal(tag.tag, 'v2.1.0');
      assert.equal(tag.branch, undefined);
    });

    it('throws a PayloadError naming a missing required field', () => {
      for (const field of [
        'workflow_run.id',
        'workflow_run.head_sha',
        'workflow_run.status',
        'repository.full_name',
      ]) {
        const payload = withField(fixture('workflow_run.completed.success.json'), field, undefined);
        assertPayloadError(() => normalize('workflow_run', payload), field);
      }
    });
  });

  describe('normalize workflow_job', () => {
    const job = {
      id: '30871256640',
      name: 'test (node 20)',
      url: 'https://github.com/acme/widgets/actions/runs/11223399001/job/30871256640',
      runnerLabels: ['ubuntu-latest'],
    };
    const pipeline = {
      id: '11223399001',
      name: 'CI',
      attempt: 1,
      url: 'https://github.com/acme/widgets/actions/runs/11223399001',
    };

    it('queued', () => {
      const event = normalizeOne('workflow_job', fixture('workflow_job.queued.json'));
      assert.equal(event.kind, 'job');
      assert.equal(event.status, 'queued');
      assert.equal(event.providerStatus, 'queued');
      assert.deepEqual(event.job, job);
      assert.deepEqual(event.pipeline, pipeline);
    });

    it('in_progress', () => {
      const event = normalizeOne('workflow_job', fixture('workflow_job.in_progress.json'));
      assert.equal(event.status, 'running');
      assert.equal(event.providerStatus, 'in_progress');
      assert.equal(event.startedAt, '2024-05-14T10:40:19.000Z');
      assert.equal(event.durationMs, undefined);
    });

    it('completed success', () => {
      const event = normalizeOne('workflow_job', fixture('workflow_job.completed.success.json'));
      assert.equal(event.status, 'success');
      assert.equal(event.providerStatus, 'completed/success');
      assert.equal(event.durationMs, 202_000);
    });

    it('completed failure', () => {
      const event = normalizeOne('workflow_job', fixture('workflow_job.completed.failure.json'));
      assert.deepEqual(event, {
        kind: 'job',
        status: 'failure',
        providerStatus: 'completed/failure',
        repository: { name: 'acme/widgets', url: 'https://github.com/acme/widgets' },
        branch: 'main',
        commit: {
          sha: 'c41d9e07a2b85f3361e0d4a7b9c2e8f15a6d3b04',
          url: 'https://github.com/acme/widgets/commit/c41d9e07a2b85f3361e0d4a7b9c2e8f15a6d3b04',
        },
        pipeline,
        job,
        actor: { login: 'mona-dev' },
        createdAt: '2024-05-14T10:40:14.000Z',
        startedAt: '2024-05-14T10:40:19.000Z',
        finishedAt: '2024-05-14T10:44:20.000Z',
        durationMs: 241_000,
      });
    });

    it('uses the same pipeline id as the workflow_run of its run', () => {
      const run = normalizeOne('workflow_run', fixture('workflow_run.completed.failure.json'));
      const job = normalizeOne('workflow_job', fixture('workflow_job.completed.failure.json'));
      assert.equal(job.pipeline.id, run.pipeline.id);
    });

    it('names the pipeline "workflow" when workflow_name is absent', () => {
      const payload = withField(fixture('workflow_job.queued.json'), 'workflow_job.workflow_name', undefined);
      assert.equal(normalizeOne('workflow_job', payload).pipeline.name, 'workflow');
    });
  });

  describe('normalize checks', () => {
    it('check_suite completed', () => {
      const event = normalizeOne('check_suite', fixture('check_suite.completed.json'));
      assert.deepEqual(event, {
        kind: 'pipeline',
        status: 'success',
        providerStatus: 'completed/success',
        repository: { name: 'acme/widgets', url: 'https://github.com/acme/widgets' },
        branch: 'feature/retry-backoff',
        pullRequest: { number: 1287, url: 'https://github.com/acme/widgets/pull/1287' },
        commit: {
          sha: '2e8b5c1f0a9d7e6c3b4a5f8e9d0c1b2a3f4e5d6c',
          message: 'Cap the backoff at 10 minutes',
          url: 'https://github.com/acme/widgets/commit/2e8b5c1f0a9d7e6c3b4a5f8e9d0c1b2a3f4e5d6c',
          author: { name: 'Mona Lisa', email: 'mona@acme.example' },
        },
        pipeline: { id: '24460299113', name: 'Acme CI' },
        actor: { login: 'acme-ci[bot]' },
        createdAt: '2024-05-14T11:20:01.000Z',
        finishedAt: '2024-05-14T11:26:45.000Z',
      });
    });

    it('check_run completed', () => {
      const event = normalizeOne('check_run', fixture('check_run.completed.json'));
      assert.equal(event.kind, 'job');
      assert.equal(event.status, 'failure');
      assert.equal(event.providerStatus, 'completed/failure');
      assert.equal(event.branch, 'feature/retry-backoff');
      assert.equal(event.commit.sha, '2e8b5c1f0a9d7e6c3b4a5f8e9d0c1b2a3f4e5d6c');
      assert.deepEqual(event.pipeline, { id: '24460299113', name: 'Acme CI' });
      assert.deepEqual(event.job, {
        id: '25187340022',
        name: 'integration-tests',
        url: 'https://github.com/acme/widgets/runs/25187340022',
      });
      assert.deepEqual(event.pullRequest, { number: 1287, url: 'https://github.com/acme/widgets/pull/1287' });
      assert.equal(event.durationMs, 352_000);
    });

    it('ignores a check_run requested_action', () => {
      const payload = withField(fixture('check_run.completed.json'), 'action', 'requested_action');
      assert.equal(normalize('check_run', payload).type, 'ignored');
    });
  });

  describe('normalize status', () => {
    it('success', () => {
      const event = normalizeOne('status', fixture('status.success.json'));
      assert.deepEqual(event, {
        kind: 'pipeline',
        status: 'success',
        providerStatus: 'success',
        repository: { name: 'acme/widgets', url: 'https://github.com/acme/widgets' },
        branch: 'main',
        commit: {
          sha: '7f3c2a9e1b5d4c8f9a0e6b2d3c4f5a6b7c8d9e0f',
          message: 'Retry webhook deliveries with backoff\n\nCloses #1280',
          url: 'https://github.com/acme/widgets/commit/7f3c2a9e1b5d4c8f9a0e6b2d3c4f5a6b7c8d9e0f',
          author: { login: 'mona-dev', name: 'Mona Lisa', email: 'mona@acme.example' },
        },
        pipeline: {
          id: 'acme/widgets:7f3c2a9e1b5d4c8f9a0e6b2d3c4f5a6b7c8d9e0f:ci/jenkins: build',
          name: 'ci/jenkins: build',
          url: 'https://jenkins.acme.example/job/widgets/1733/',
        },
        actor: { login: 'jenkins-acme' },
        createdAt: '2024-05-14T09:18:22.000Z',
        finishedAt: '2024-05-14T09:18:22.000Z',
      });
    });

    it('names no branch when the commit heads several', () => {
      const base = fixture('status.success.json');
      const branches = [{ name: 'main' }, { name: 'release/2.1' }];
      assert.equal(normalizeOne('status', withField(base, 'branches', branches)).branch, undefined);
    });
  });

  describe('status mapping', () => {
    const checks: [status: string, conclusion: string | null, expected: string, providerStatus: string][] = [
      ['requested', null, 'queued', 'requested'],
      ['queued', null, 'queued', 'queued'],
      ['pending', null, 'queued', 'pending'],
      ['waiting', null, 'waiting', 'waiting'],
      ['in_progress', null, 'running', 'in_progress'],
      ['completed', 'success', 'success', 'completed/success'],
      ['completed', 'failure', 'failure', 'completed/failure'],
      ['completed', 'cancelled', 'cancelled', 'completed/cancelled'],
      ['completed', 'skipped', 'skipped', 'completed/skipped'],
      ['completed', 'neutral', 'success', 'completed/neutral'],
      ['completed', 'timed_out', 'failure', 'completed/timed_out'],
      ['completed', 'action_required', 'waiting', 'completed/action_required'],
      ['completed', 'stale', 'cancelled', 'completed/stale'],
      ['completed', 'startup_failure', 'error', 'completed/startup_failure'],
      ['completed', 'some_new_conclusion', 'error', 'completed/some_new_conclusion'],
      ['completed', null, 'error', 'completed'],
    ];
    const objects: [event: string, file: string][] = [
      ['workflow_run', 'workflow_run.in_progress.json'],
      ['workflow_job', 'workflow_job.in_progress.json'],
      ['check_suite', 'check_suite.completed.json'],
      ['check_run', 'check_run.completed.json'],
    ];

    for (const [event, file] of objects) {
      for (const [status, conclusion, expected, providerStatus] of checks) {
        it(`${event} ${status}/${conclusion} -> ${expected}`, () => {
          let payload = withField(fixture(file), `${event}.status`, status);
          payload = withField(payload, `${event}.conclusion`, conclusion);
          const body = normalizeOne(event, payload);
          assert.equal(body.status, expected);
          assert.equal(body.providerStatus, providerStatus);
        });
      }
    }

    it('throws a PayloadError on an unknown unfinished status', () => {
      const payload = withField(fixture('workflow_job.queued.json'), 'workflow_job.status', 'hibernating');
      assertPayloadError(() => normalize('workflow_job', payload), 'workflow_job.status');
    });

    const states: [state: string, expected: string][] = [
      ['pending', 'running'],
      ['success', 'success'],
      ['failure', 'failure'],
      ['error', 'error'],
    ];
    for (const [state, expected] of states) {
      it(`status ${state} -> ${expected}`, () => {
        const body = normalizeOne('status', withField(fixture('status.success.json'), 'state', state));
        assert.equal(body.status, expected);
        assert.equal(body.providerStatus, state);
        assert.equal(body.finishedAt === undefined, state === 'pending');
      });
    }

    it('throws a PayloadError on an unknown commit state', () => {
      const payload = withField(fixture('status.success.json'), 'state', 'exploded');
      assertPayloadError(() => normalize('status', payload), 'state');
    });
  });

  describe('other events', () => {
    it('answers ping', () => {
      assert.deepEqual(normalize('ping', fixture('ping.json')), { type: 'ping' });
    });

    it('ignores push, saying why', () => {
      assert.deepEqual(normalize('push', fixture('push.json')), {
        type: 'ignored',
        reason: 'GitHub event "push" is not a CI status event',
      });
    });

    it('throws a PayloadError without X-GitHub-Event', () => {
      assertPayloadError(() => githubProvider.normalize(request({}), fixture('ping.json')));
    });
  });
});

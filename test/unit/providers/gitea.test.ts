import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import type { SourceConfig } from '../../../src/config/source-config-schema';
import type { CiEventBody } from '../../../src/event/ci-event-schema';
import { giteaProvider } from '../../../src/providers/gitea';
import type { NormalizeResult } from '../../../src/providers/provider';
import { assertPayloadError, onlyValidEvent, withField } from '../../helpers/provider-test-kit';
import { fixtureJson, fixtureText, request, type Json } from '../../helpers/provider-test-kit';

const fixture = (name: string): Json => fixtureJson('gitea', name);

function normalize(event: string, payload: unknown): NormalizeResult {
  return giteaProvider.normalize(request({ 'x-gitea-event': event, 'x-gitea-delivery': 'd' }), payload);
}

/** Normalizes a payload that must give exactly one event, and checks that event against the CiEvent schema. */
function normalizeOne(event: string, payload: unknown): CiEventBody {
  return onlyValidEvent(normalize(event, payload), {
    source: 'gitea',
    provider: 'gitea',
    deliveryId: 'd',
    receivedAt: '2025-03-04T12:00:00.000Z',
  });
}

const source = (secrets: string[]): SourceConfig => ({ id: 'gitea', provider: 'gitea', secrets });
const sign = (secret: string, body: string) => createHmac('sha256', secret).update(body).digest('hex');

const repository = { name: 'platform/billing', url: 'https://git.acme.example/platform/billing' };
const sha = '5e1f0c9d2b7a4e8f6c3d1a0b9e8d7c6f5a4b3c2d';

describe('giteaProvider', () => {
  describe('verify', () => {
    const body = Buffer.from(fixtureText('gitea', 'workflow_run.completed.success.json'));

    it('accepts the bare hex HMAC-SHA256 of the raw body in X-Gitea-Signature', () => {
      const req = request({ 'x-gitea-signature': sign('s3cret', body.toString()) }, body);
      assert.equal(giteaProvider.verify(req, source(['s3cret']), 0), undefined);
    });

    it('rejects a tampered body as bad_signature', () => {
      const req = request(
        { 'x-gitea-signature': sign('s3cret', body.toString()) },
        Buffer.concat([body, Buffer.from(' ')]),
      );
      assert.equal(giteaProvider.verify(req, source(['s3cret']), 0)?.code, 'bad_signature');
    });

    it('rejects a missing header as missing_signature', () => {
      assert.equal(giteaProvider.verify(request({}, body), source(['s3cret']), 0)?.code, 'missing_signature');
    });

    it('does not take Forgejo’s header for Gitea', () => {
      const req = request({ 'x-forgejo-signature': sign('s3cret', body.toString()) }, body);
      assert.equal(giteaProvider.verify(req, source(['s3cret']), 0)?.code, 'missing_signature');
    });

    it('rejects a sha256= prefix, a truncated digest and one that is not hex', () => {
      const hex = sign('s3cret', body.toString());
      for (const header of [`sha256=${hex}`, hex.slice(0, 62), `${hex}f`, 'zz'.repeat(32)]) {
        const req = request({ 'x-gitea-signature': header }, body);
        assert.equal(giteaProvider.verify(req, source(['s3cret']), 0)?.code, 'bad_signature', header);
      }
    });

    it('accepts a body signed with any of the configured secrets (rotation)', () => {
      const req = request({ 'x-gitea-signature': sign('new-secret', body.toString()) }, body);
      assert.equal(giteaProvider.verify(req, source(['old-secret', 'new-secret']), 0), undefined);
      assert.equal(giteaProvider.verify(req, source(['old-secret']), 0)?.code, 'bad_signature');
    });

    it('never puts a secret in its messages', () => {
      const secrets = ['s3cr3t-one', 's3cr3t-two'];
      for (const headers of [{}, { 'x-gitea-signature': '00' }]) {
        const failure = giteaProvider.verify(request(headers, 'x'), source(secrets), 0);
        assert.ok(failure);
        for (const s of secrets) assert.ok(!failure.message.includes(s));
      }
    });
  });

  it('takes the delivery id from X-Gitea-Delivery', () => {
    const req = request({ 'x-gitea-delivery': '1d9a6c5e-2f3b-4c7d-8e9f-0a1b2c3d4e5f' });
    assert.equal(giteaProvider.deliveryId(req, {}), '1d9a6c5e-2f3b-4c7d-8e9f-0a1b2c3d4e5f');
  });

  it('accepts JSON only: a form post is signed over its payload field, not the bytes sent', () => {
    assert.deepEqual(giteaProvider.contentTypes, ['application/json']);
  });

  describe('normalize workflow_run', () => {
    it('completed success', () => {
      assert.deepEqual(normalizeOne('workflow_run', fixture('workflow_run.completed.success.json')), {
        kind: 'pipeline',
        status: 'success',
        providerStatus: 'completed/success',
        repository,
        branch: 'main',
        commit: { sha, url: `https://git.acme.example/platform/billing/commit/${sha}` },
        pipeline: {
          id: '4821',
          name: 'CI',
          number: 312,
          attempt: 1,
          url: 'https://git.acme.example/platform/billing/actions/runs/4821',
        },
        actor: { login: 'ana.k' },
        createdAt: '2025-03-04T09:15:02.000Z',
        startedAt: '2025-03-04T09:15:09.000Z',
        finishedAt: '2025-03-04T09:18:41.000Z',
        durationMs: 212_000,
      });
    });

    it('completed failure of a pull request, from the top-level pull_request', () => {
      const event = normalizeOne('workflow_run', fixture('workflow_run.completed.failure.json'));
      assert.equal(event.status, 'failure');
      assert.equal(event.providerStatus, 'completed/failure');
      assert.equal(event.branch, 'fix/charge-retry');
      assert.deepEqual(event.pullRequest, {
        number: 88,
        url: 'https://git.acme.example/platform/billing/pulls/88',
      });
      assert.deepEqual(event.actor, { login: 'bzhou' });
      assert.equal(event.durationMs, 343_000);
    });

    it('takes the pull request from pull_requests when there is no top-level one, under /pulls/', () => {
      const payload = withField(fixture('workflow_run.completed.failure.json'), 'pull_request', undefined);
      assert.deepEqual(normalizeOne('workflow_run', payload).pullRequest, {
        number: 88,
        url: 'https://git.acme.example/platform/billing/pulls/88',
      });
    });

    it('in_progress: running, and Gitea’s 1970 "not yet" completed_at is no end', () => {
      const event = normalizeOne('workflow_run', fixture('workflow_run.in_progress.json'));
      assert.equal(event.status, 'running');
      assert.equal(event.providerStatus, 'in_progress');
      assert.equal(event.startedAt, '2025-03-04T09:15:09.000Z');
      assert.equal(event.finishedAt, undefined);
      assert.equal(event.durationMs, undefined);
    });

    it('a re-run: attempt 2 of the same run, the re-runner as actor, timed from the re-run start', () => {
      const event = normalizeOne('workflow_run', fixture('workflow_run.rerun-attempt-2.cancelled.json'));
      assert.equal(event.status, 'cancelled');
      assert.equal(event.pipeline.id, '4821');
      assert.equal(event.pipeline.attempt, 2);
      assert.deepEqual(event.actor, { login: 'bzhou' });
      assert.equal(event.durationMs, 95_000);
    });

    it('names the pipeline after the workflow file when the workflow has no name', () => {
      const payload = withField(fixture('workflow_run.completed.success.json'), 'workflow.name', '');
      assert.equal(normalizeOne('workflow_run', payload).pipeline.name, 'ci.yml');
    });

    it('reads a tag from a full ref', () => {
      const payload = withField(
        fixture('workflow_run.completed.success.json'),
        'workflow_run.head_branch',
        'refs/tags/v3.2.0',
      );
      const event = normalizeOne('workflow_run', payload);
      assert.equal(event.tag, 'v3.2.0');
      assert.equal(event.branch, undefined);
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
    it('completed failure', () => {
      assert.deepEqual(normalizeOne('workflow_job', fixture('workflow_job.completed.failure.json')), {
        kind: 'job',
        status: 'failure',
        providerStatus: 'completed/failure',
        repository,
        branch: 'main',
        commit: { sha, url: `https://git.acme.example/platform/billing/commit/${sha}` },
        pipeline: {
          id: '4822',
          name: 'workflow',
          attempt: 1,
          url: 'https://git.acme.example/platform/billing/actions/runs/4822',
        },
        job: {
          id: '10377',
          name: 'test (go 1.24)',
          url: 'https://git.acme.example/platform/billing/actions/runs/4822/jobs/1',
        },
        actor: { login: 'ana.k' },
        createdAt: '2025-03-04T10:20:21.000Z',
        startedAt: '2025-03-04T10:20:25.000Z',
        finishedAt: '2025-03-04T10:23:51.000Z',
        durationMs: 206_000,
      });
    });

    it('queued: neither started nor finished (Gitea writes 1970 for both)', () => {
      const event = normalizeOne('workflow_job', fixture('workflow_job.queued.json'));
      assert.equal(event.status, 'queued');
      assert.equal(event.createdAt, '2025-03-04T10:20:21.000Z');
      assert.equal(event.startedAt, undefined);
      assert.equal(event.finishedAt, undefined);
      assert.equal(event.durationMs, undefined);
    });

    it('uses the workflow name when the job names it', () => {
      const payload = withField(fixture('workflow_job.queued.json'), 'workflow_job.workflow_name', 'CI');
      assert.equal(normalizeOne('workflow_job', payload).pipeline.name, 'CI');
    });

    it('throws a PayloadError naming a missing required field', () => {
      for (const field of [
        'workflow_job.run_id',
        'workflow_job.id',
        'workflow_job.name',
        'workflow_job.head_sha',
      ]) {
        const payload = withField(fixture('workflow_job.completed.failure.json'), field, undefined);
        assertPayloadError(() => normalize('workflow_job', payload), field);
      }
    });
  });

  describe('normalize status', () => {
    it('success', () => {
      assert.deepEqual(normalizeOne('status', fixture('status.success.json')), {
        kind: 'pipeline',
        status: 'success',
        providerStatus: 'success',
        repository,
        commit: {
          sha,
          message: 'Add invoice PDF export\n\nRenders invoices with the new template engine.\n',
          url: `https://git.acme.example/platform/billing/commit/${sha}`,
          author: { login: 'ana.k', name: 'Ana Kovač', email: 'ana@acme.example' },
        },
        pipeline: {
          id: `platform/billing:${sha}:ci/woodpecker/push/build`,
          name: 'ci/woodpecker/push/build',
          url: 'https://ci.acme.example/repos/14/pipeline/902',
        },
        actor: { login: 'woodpecker-bot' },
        createdAt: '2025-03-04T09:17:30.000Z',
        finishedAt: '2025-03-04T09:17:30.000Z',
      });
    });

    it('throws a PayloadError naming a missing required field', () => {
      for (const field of ['sha', 'context', 'state', 'repository.full_name']) {
        assertPayloadError(
          () => normalize('status', withField(fixture('status.success.json'), field, undefined)),
          field,
        );
      }
    });
  });

  describe('status mapping', () => {
    // Gitea's run and job states in GitHub's words (ToActionsStatus / ToRunActionsStatus).
    const actions: [
      status: string,
      conclusion: string | undefined,
      expected: string,
      providerStatus: string,
    ][] = [
      ['queued', undefined, 'queued', 'queued'],
      ['requested', undefined, 'queued', 'requested'],
      ['pending', undefined, 'queued', 'pending'],
      ['waiting', undefined, 'waiting', 'waiting'],
      ['in_progress', undefined, 'running', 'in_progress'],
      ['completed', 'success', 'success', 'completed/success'],
      ['completed', 'failure', 'failure', 'completed/failure'],
      ['completed', 'cancelled', 'cancelled', 'completed/cancelled'],
      ['completed', 'skipped', 'skipped', 'completed/skipped'],
      ['completed', undefined, 'error', 'completed'],
    ];
    const objects: [event: string, file: string][] = [
      ['workflow_run', 'workflow_run.completed.success.json'],
      ['workflow_job', 'workflow_job.completed.failure.json'],
    ];
    for (const [event, file] of objects) {
      for (const [status, conclusion, expected, providerStatus] of actions) {
        it(`${event} ${status}/${conclusion ?? '-'} -> ${expected}`, () => {
          let payload = withField(fixture(file), `${event}.status`, status);
          payload = withField(payload, `${event}.conclusion`, conclusion);
          const body = normalizeOne(event, payload);
          assert.equal(body.status, expected);
          assert.equal(body.providerStatus, providerStatus);
          if (event === 'workflow_run') assert.equal(body.finishedAt === undefined, status !== 'completed');
        });
      }
    }

    it('throws a PayloadError on an unknown unfinished status', () => {
      const payload = withField(fixture('workflow_job.queued.json'), 'workflow_job.status', 'cancelling-ish');
      assertPayloadError(() => normalize('workflow_job', payload), 'workflow_job.status');
    });

    const states: [state: string, expected: string][] = [
      ['pending', 'running'],
      ['success', 'success'],
      ['error', 'error'],
      ['failure', 'failure'],
      ['warning', 'failure'],
      ['skipped', 'skipped'],
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
      assertPayloadError(
        () => normalize('status', withField(fixture('status.success.json'), 'state', 'exploded')),
        'state',
      );
    });
  });

  describe('other events', () => {
    it('ignores push, saying why', () => {
      assert.deepEqual(normalize('push', fixture('push.json')), {
        type: 'ignored',
        reason: 'Gitea event "push" is not a CI status event',
      });
    });

    it('ignores Forgejo’s action run events', () => {
      assert.equal(normalize('action_run_failure', {}).type, 'ignored');
    });

    it('prefers X-Gitea-Event-Type to X-Gitea-Event', () => {
      const req = request({ 'x-gitea-event': 'pull_request', 'x-gitea-event-type': 'status' });
      assert.equal(giteaProvider.normalize(req, fixture('status.success.json')).type, 'events');
    });

    it('throws a PayloadError without an event header', () => {
      assertPayloadError(() => giteaProvider.normalize(request({}), fixture('push.json')));
    });
  });
});

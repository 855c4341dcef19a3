import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import type { SourceConfig } from '../../../src/config/source-config-schema';
import type { CiEventBody } from '../../../src/event/ci-event-schema';
import {
  circleciJobStatuses,
  circleciProvider,
  circleciWorkflowStatuses,
} from '../../../src/providers/circleci';
import type { NormalizeResult } from '../../../src/providers/provider';
import { assertPayloadError, onlyValidEvent, withField } from '../../helpers/provider-test-kit';
import { fixtureJson, request, type Json } from '../../helpers/provider-test-kit';

const fixture = (name: string): Json => fixtureJson('circleci', name);

function normalize(event: string | undefined, payload: unknown): NormalizeResult {
  return circleciProvider.normalize(
    request(event === undefined ? {} : { 'circleci-event-type': event }),
    payload,
  );
}

/** Normalizes a payload that must give exactly one event, and checks that event against the CiEvent schema. */
function normalizeOne(event: string, payload: unknown): CiEventBody {
  return onlyValidEvent(normalize(event, payload), {
    source: 'circleci',
    provider: 'circleci',
    deliveryId: 'd',
    receivedAt: '2024-05-14T10:00:00.000Z',
  });
}

const source = (secrets: string[]): SourceConfig => ({ id: 'circleci', provider: 'circleci', secrets });

function sign(secret: string, body: string): string {
  return `v1=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

describe('circleciProvider', () => {
  describe('verify', () => {
    // The examples published with the scheme: body, secret, v1 signature.
    // https://circleci.com/docs/guides/integration/outbound-webhooks/#validate-webhooks
    const vectors: [body: string, secret: string, signature: string][] = [
      ['hello world', 'secret', '734cc62f32841568f45715aeb9f4d7891324e6d948e4c6c60c0621cdac48623a'],
      ['lalala', 'another-secret', 'daa220016c8f29a8b214fbfc3671aeec2145cfb1e6790184ffb38b6d0425fa00'],
      [
        'an-important-request-payload',
        'hunter123',
        '9be2242094a9a8c00c64306f382a7f9d691de910b4a266f67bd314ef18ac49fa',
      ],
      ['foo', 'secret', '773ba44693c7553d6ee20f61ea5d2757a9a4f4a44d2841ae4e95b52e4cd62db4'],
    ];

    for (const [body, secret, signature] of vectors) {
      it(`accepts the published vector for ${JSON.stringify(body)}`, () => {
        const req = request({ 'circleci-signature': `v1=${signature}` }, body);
        assert.equal(circleciProvider.verify(req, source([secret]), 0), undefined);
      });

      it(`rejects the published vector for ${JSON.stringify(body)} with another body or secret`, () => {
        const tampered = request({ 'circleci-signature': `v1=${signature}` }, `${body}!`);
        assert.equal(circleciProvider.verify(tampered, source([secret]), 0)?.code, 'bad_signature');
        const req = request({ 'circleci-signature': `v1=${signature}` }, body);
        assert.equal(circleciProvider.verify(req, source([`${secret}-2`]), 0)?.code, 'bad_signature');
      });
    }

    it('rejects the published invalid example ("v1=not-a-valid-signature")', () => {
      const req = request({ 'circleci-signature': 'v1=not-a-valid-signature' }, 'foo');
      assert.equal(circleciProvider.verify(req, source(['secret']), 0)?.code, 'bad_signature');
    });

    it('rejects a missing or empty header as missing_signature', () => {
      for (const headers of [{}, { 'circleci-signature': '' }]) {
        assert.equal(
          circleciProvider.verify(request(headers, 'foo'), source(['secret']), 0)?.code,
          'missing_signature',
        );
      }
    });

    it('finds v1 among other versions, in any order', () => {
      const v1 = sign('secret', 'foo');
      for (const header of [`${v1},v2=abc,v3=def`, `v2=abc, ${v1}`, `v0=00,${v1}`]) {
        assert.equal(
          circleciProvider.verify(request({ 'circleci-signature': header }, 'foo'), source(['secret']), 0),
          undefined,
          header,
        );
      }
    });

    it('checks only v1: a header without one is rejected, whatever the others say (no downgrade)', () => {
      const hex = createHmac('sha256', 'secret').update('foo').digest('hex');
      for (const header of [`v2=${hex}`, `v0=${hex}`, hex, `sha256=${hex}`]) {
        const failure = circleciProvider.verify(
          request({ 'circleci-signature': header }, 'foo'),
          source(['secret']),
          0,
        );
        assert.equal(failure?.code, 'bad_signature', header);
      }
    });

    it('rejects a v1 value that is not whole hex or has the wrong length', () => {
      const hex = createHmac('sha256', 'secret').update('foo').digest('hex');
      for (const value of [`${hex}f`, hex.slice(0, 62), `${hex}00`, 'zz', '']) {
        const failure = circleciProvider.verify(
          request({ 'circleci-signature': `v1=${value}` }, 'foo'),
          source(['secret']),
          0,
        );
        assert.equal(failure?.code, 'bad_signature', value);
      }
    });

    it('accepts a body signed with any of the configured secrets (rotation)', () => {
      const body = JSON.stringify(fixture('workflow-completed.success.json'));
      const req = request({ 'circleci-signature': sign('new-secret', body) }, body);
      assert.equal(circleciProvider.verify(req, source(['old-secret', 'new-secret']), 0), undefined);
      assert.equal(circleciProvider.verify(req, source(['old-secret']), 0)?.code, 'bad_signature');
    });

    it('never puts a secret in its messages', () => {
      const secrets = ['s3cr3t-one', 's3cr3t-two'];
      for (const headers of [{}, { 'circleci-signature': 'v1=00' }, { 'circleci-signature': 'v2=00' }]) {
        const failure = circleciProvider.verify(request(headers, 'x'), source(secrets), 0);
        assert.ok(failure);
        for (const s of secrets) assert.ok(!failure.message.includes(s));
      }
    });
  });

  it("takes the delivery id from the body's event id, the same on every retry", () => {
    const payload = fixture('workflow-completed.success.json');
    assert.equal(circleciProvider.deliveryId(request({}), payload), '0f5b7c2e-3d4a-3e6f-8b9c-1a2d3e4f5a6b');
    assert.equal(circleciProvider.deliveryId(request({}), {}), undefined);
  });

  describe('normalize workflow-completed', () => {
    it('success', () => {
      assert.deepEqual(normalizeOne('workflow-completed', fixture('workflow-completed.success.json')), {
        kind: 'pipeline',
        status: 'success',
        providerStatus: 'success',
        repository: { name: 'acme/widgets', url: 'https://github.com/acme/widgets' },
        branch: 'main',
        commit: {
          sha: '9b2e4f6a8c0d1e3f5a7b9c1d3e5f7a9b1c3d5e7f',
          message: 'Retry webhook deliveries with backoff\n\nCloses #1280',
          url: 'https://github.com/acme/widgets/commit/9b2e4f6a8c0d1e3f5a7b9c1d3e5f7a9b1c3d5e7f',
          author: { name: 'Mona Lisa', email: 'mona@acme.example' },
        },
        pipeline: {
          id: '4e9d2c1b-8a7f-4b3e-9c5d-1f2a3b4c5d6e',
          name: 'build-and-test',
          number: 1842,
          url: 'https://app.circleci.com/pipelines/github/acme/widgets/1842/workflows/4e9d2c1b-8a7f-4b3e-9c5d-1f2a3b4c5d6e',
        },
        createdAt: '2024-05-14T09:11:02.412Z',
        finishedAt: '2024-05-14T09:17:45.903Z',
        durationMs: 403_491,
      });
    });

    it('failed, with an empty commit body', () => {
      const event = normalizeOne('workflow-completed', fixture('workflow-completed.failed.json'));
      assert.equal(event.status, 'failure');
      assert.equal(event.providerStatus, 'failed');
      assert.equal(event.commit.message, 'Cap the backoff at 10 minutes');
      assert.equal(event.pipeline.number, 1843);
      assert.equal(event.durationMs, 439_300);
    });

    it('a rerun: a new workflow of the same name in the same pipeline', () => {
      const failed = normalizeOne('workflow-completed', fixture('workflow-completed.failed.json'));
      const rerun = normalizeOne('workflow-completed', fixture('workflow-completed.rerun-success.json'));
      assert.equal(rerun.status, 'success');
      assert.equal(rerun.pipeline.name, failed.pipeline.name);
      assert.equal(rerun.pipeline.number, failed.pipeline.number);
      assert.notEqual(rerun.pipeline.id, failed.pipeline.id);
      assert.equal(rerun.branch, failed.branch);
    });

    it('canceled, for a tag', () => {
      const event = normalizeOne('workflow-completed', fixture('workflow-completed.canceled-tag.json'));
      assert.equal(event.status, 'cancelled');
      assert.equal(event.providerStatus, 'canceled');
      assert.equal(event.tag, 'v2.4.0');
      assert.equal(event.branch, undefined);
      assert.equal(event.pipeline.name, 'release');
    });

    it('GitLab-hosted: repository, ref, commit and actor from trigger_parameters', () => {
      assert.deepEqual(normalizeOne('workflow-completed', fixture('workflow-completed.failed.gitlab.json')), {
        kind: 'pipeline',
        status: 'failure',
        providerStatus: 'failed',
        repository: { name: 'acme/billing', url: 'https://gitlab.com/acme/billing' },
        branch: 'feature/invoices',
        commit: {
          sha: 'b1d3f5a7c9e1b3d5f7a9c1e3b5d7f9a1c3e5b7d9',
          message: 'Add invoice export\n\nExports as CSV and PDF.',
          url: 'https://gitlab.com/acme/billing/-/commit/b1d3f5a7c9e1b3d5f7a9c1e3b5d7f9a1c3e5b7d9',
          author: { name: 'Grace Hopper', email: 'grace@acme.example' },
        },
        pipeline: {
          id: '8cd16a5f-2eb3-4f72-9091-5d6e7f8091a2',
          name: 'test',
          number: 57,
          url: 'https://app.circleci.com/pipelines/circleci/9XyZaBcDeFgHiJkLmNoPq/2RsTuVwXyZaBcDeFgHiJ/57/workflows/8cd16a5f-2eb3-4f72-9091-5d6e7f8091a2',
        },
        actor: { login: 'ghopper', name: 'Grace Hopper' },
        createdAt: '2024-06-03T14:20:12.004Z',
        finishedAt: '2024-06-03T14:26:02.355Z',
        durationMs: 350_351,
      });
    });

    it('names the repository from the git checkout URL, the project slug, or the organization and project', () => {
      let payload = withField(
        fixture('workflow-completed.failed.gitlab.json'),
        'pipeline.trigger_parameters.gitlab',
        undefined,
      );
      const event = normalizeOne('workflow-completed', payload);
      assert.deepEqual(event.repository, { name: 'acme/billing', url: 'https://gitlab.com/acme/billing' });
      assert.equal(event.branch, 'feature/invoices');
      assert.equal(event.commit.sha, 'b1d3f5a7c9e1b3d5f7a9c1e3b5d7f9a1c3e5b7d9');

      payload = withField(fixture('workflow-completed.success.json'), 'pipeline.vcs', undefined);
      payload = withField(payload, 'pipeline.trigger_parameters', { git: { checkout_sha: 'abc123' } });
      assert.deepEqual(normalizeOne('workflow-completed', payload).repository, { name: 'acme/widgets' });

      payload = withField(payload, 'project.slug', 'circleci/9XyZaBcDeFgHiJkLmNoPq/2RsTuVwXyZaBcDeFgHiJ');
      assert.deepEqual(normalizeOne('workflow-completed', payload).repository, { name: 'acme/widgets' });
      payload = withField(payload, 'project.name', 'gadgets');
      assert.deepEqual(normalizeOne('workflow-completed', payload).repository, { name: 'acme/gadgets' });
    });

    it('names the repository being built (the target), not a fork a pull request came from', () => {
      const payload = withField(
        fixture('workflow-completed.success.json'),
        'pipeline.vcs.origin_repository_url',
        'https://github.com/mona-dev/widgets',
      );
      assert.equal(normalizeOne('workflow-completed', payload).repository.name, 'acme/widgets');
    });

    it('reads a Bitbucket commit URL', () => {
      let payload = withField(
        fixture('workflow-completed.success.json'),
        'pipeline.vcs.provider_name',
        'bitbucket',
      );
      payload = withField(
        payload,
        'pipeline.vcs.target_repository_url',
        'https://bitbucket.org/acme/widgets',
      );
      const event = normalizeOne('workflow-completed', payload);
      assert.equal(event.repository.name, 'acme/widgets');
      assert.equal(
        event.commit.url,
        'https://bitbucket.org/acme/widgets/commits/9b2e4f6a8c0d1e3f5a7b9c1d3e5f7a9b1c3d5e7f',
      );
    });

    it('falls back to happened_at when the workflow has no stopped_at', () => {
      const payload = withField(fixture('workflow-completed.success.json'), 'workflow.stopped_at', undefined);
      assert.equal(normalizeOne('workflow-completed', payload).finishedAt, '2024-05-14T09:17:46.021Z');
    });

    it('takes the event type from the body when the header is absent', () => {
      const result = normalize(undefined, fixture('workflow-completed.success.json'));
      assert.equal(result.type, 'events');
    });

    it('throws a PayloadError naming a missing required field', () => {
      for (const field of ['workflow.id', 'workflow.name', 'workflow.status', 'pipeline.vcs.revision']) {
        const payload = withField(fixture('workflow-completed.success.json'), field, undefined);
        assertPayloadError(() => normalize('workflow-completed', payload), field);
      }
    });
  });

  describe('normalize job-completed', () => {
    it('failed', () => {
      assert.deepEqual(normalizeOne('job-completed', fixture('job-completed.failed.json')), {
        kind: 'job',
        status: 'failure',
        providerStatus: 'failed',
        repository: { name: 'acme/widgets', url: 'https://github.com/acme/widgets' },
        branch: 'main',
        commit: {
          sha: '3c5e7a9b1d2f4a6c8e0b2d4f6a8c0e2b4d6f8a0c',
          message: 'Cap the backoff at 10 minutes',
          url: 'https://github.com/acme/widgets/commit/3c5e7a9b1d2f4a6c8e0b2d4f6a8c0e2b4d6f8a0c',
          author: { name: 'Mona Lisa', email: 'mona@acme.example' },
        },
        pipeline: {
          id: '5fae3d2c-9b80-4c4f-8d6e-2a3b4c5d6e7f',
          name: 'build-and-test',
          number: 1843,
          url: 'https://app.circleci.com/pipelines/github/acme/widgets/1843/workflows/5fae3d2c-9b80-4c4f-8d6e-2a3b4c5d6e7f',
        },
        job: {
          id: '8d2f6a1b-3c4e-4f5a-9b6c-7d8e9f0a1b2c',
          name: 'integration-tests',
          url: 'https://app.circleci.com/pipelines/github/acme/widgets/1843/workflows/5fae3d2c-9b80-4c4f-8d6e-2a3b4c5d6e7f/jobs/7731',
        },
        startedAt: '2024-05-14T09:58:03.221Z',
        finishedAt: '2024-05-14T10:02:30.871Z',
        durationMs: 267_650,
      });
    });

    it("success, with the workflow's id as the pipeline id, the same for each of its jobs and the workflow itself", () => {
      const lint = normalizeOne('job-completed', fixture('job-completed.success.json'));
      const tests = normalizeOne('job-completed', fixture('job-completed.failed.json'));
      const workflow = normalizeOne('workflow-completed', fixture('workflow-completed.failed.json'));
      assert.equal(lint.status, 'success');
      assert.equal(lint.job?.name, 'lint');
      assert.equal(lint.pipeline.id, tests.pipeline.id);
      assert.equal(lint.pipeline.id, workflow.pipeline.id);
    });

    it('GitLab-hosted', () => {
      const event = normalizeOne('job-completed', fixture('job-completed.success.gitlab.json'));
      assert.equal(event.status, 'success');
      assert.equal(event.repository.name, 'acme/billing');
      assert.equal(event.branch, 'feature/invoices');
      assert.equal(event.pipeline.id, '8cd16a5f-2eb3-4f72-9091-5d6e7f8091a2');
      assert.equal(event.job?.name, 'unit');
      assert.equal(event.durationMs, 198_484);
    });

    it('without a workflow (as in the reference GitLab sample), the pipeline stands in for the run', () => {
      const payload = withField(fixture('job-completed.success.gitlab.json'), 'workflow', undefined);
      const event = normalizeOne('job-completed', payload);
      assert.deepEqual(event.pipeline, {
        id: '0a1b2c3d-4e5f-4a6b-9c8d-7e6f5a4b3c2d',
        name: 'workflow',
        number: 57,
      });
      assert.deepEqual(event.job, { id: 'a04b8c3d-5e6f-4a7b-9c8d-9f0a1b2c3d4e', name: 'unit' });
    });

    it('throws a PayloadError naming a missing required field', () => {
      for (const field of ['job.id', 'job.name', 'job.status', 'pipeline.vcs.revision']) {
        const payload = withField(fixture('job-completed.failed.json'), field, undefined);
        assertPayloadError(() => normalize('job-completed', payload), field);
      }
    });
  });

  describe('status mapping', () => {
    const workflowStatuses: [string, string][] = [
      ['success', 'success'],
      ['failed', 'failure'],
      ['error', 'error'],
      ['canceled', 'cancelled'],
      ['unauthorized', 'error'],
      ['running', 'running'],
      ['failing', 'running'],
      ['on_hold', 'waiting'],
      ['not_run', 'skipped'],
      ['some_new_status', 'error'],
    ];
    for (const [status, expected] of workflowStatuses) {
      it(`workflow ${status} -> ${expected}`, () => {
        const payload = withField(fixture('workflow-completed.success.json'), 'workflow.status', status);
        const event = normalizeOne('workflow-completed', payload);
        assert.equal(event.status, expected);
        assert.equal(event.providerStatus, status);
      });
    }

    const jobStatuses: [string, string][] = [
      ['success', 'success'],
      ['failed', 'failure'],
      ['canceled', 'cancelled'],
      ['unauthorized', 'error'],
      ['timedout', 'failure'],
      ['infrastructure_fail', 'error'],
      ['terminated-unknown', 'error'],
      ['retried', 'cancelled'],
      ['running', 'running'],
      ['queued', 'queued'],
      ['not_running', 'queued'],
      ['blocked', 'queued'],
      ['on_hold', 'waiting'],
      ['not_run', 'skipped'],
      ['some_new_status', 'error'],
    ];
    for (const [status, expected] of jobStatuses) {
      it(`job ${status} -> ${expected}`, () => {
        const payload = withField(fixture('job-completed.failed.json'), 'job.status', status);
        const event = normalizeOne('job-completed', payload);
        assert.equal(event.status, expected);
        assert.equal(event.providerStatus, status);
      });
    }

    it('the tables hold exactly the values tested above', () => {
      assert.deepEqual(
        [...circleciWorkflowStatuses.keys()].sort(),
        workflowStatuses
          .map(([s]) => s)
          .filter((s) => s !== 'some_new_status')
          .sort(),
      );
      assert.deepEqual(
        [...circleciJobStatuses.keys()].sort(),
        jobStatuses
          .map(([s]) => s)
          .filter((s) => s !== 'some_new_status')
          .sort(),
      );
    });
  });

  describe('other events', () => {
    it('ignores an event type it does not know, saying why', () => {
      assert.deepEqual(normalize('project-archived', { type: 'project-archived', id: 'x' }), {
        type: 'ignored',
        reason: 'CircleCI event "project-archived" is not a CI status event',
      });
    });

    it('answers ping', () => {
      assert.deepEqual(normalize('ping', { type: 'ping', id: 'x' }), { type: 'ping' });
    });

    it('throws a PayloadError when neither header nor body names the event', () => {
      assertPayloadError(() => normalize(undefined, { id: 'x' }), 'type');
    });
  });
});

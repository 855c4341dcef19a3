import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import type { SourceConfig } from '../../../src/config/source-config-schema';
import type { CiEventBody } from '../../../src/event/ci-event-schema';
import {
  buildkiteBuildStates,
  buildkiteJobStates,
  buildkiteProvider,
} from '../../../src/providers/buildkite';
import type { NormalizeResult } from '../../../src/providers/provider';
import { assertPayloadError, onlyValidEvent, withField } from '../../helpers/provider-test-kit';
import { fixtureJson, request, type Json } from '../../helpers/provider-test-kit';

const fixture = (name: string): Json => fixtureJson('buildkite', name);

function normalize(event: string, payload: unknown): NormalizeResult {
  return buildkiteProvider.normalize(request({ 'x-buildkite-event': event }), payload);
}

/** Normalizes a fixture (its own `event`) that must give exactly one event, checked against the CiEvent schema. */
function normalizeOne(payload: Json): CiEventBody {
  return onlyValidEvent(normalize(payload['event'] as string, payload), {
    source: 'buildkite',
    provider: 'buildkite',
    deliveryId: 'sha256:digest',
    receivedAt: '2024-05-14T10:00:00.000Z',
  });
}

const nowMs = Date.UTC(2024, 4, 14, 10, 0, 0);
const nowSeconds = nowMs / 1000;

function signature(secret: string, body: string, timestamp: number): string {
  const hex = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
  return `timestamp=${timestamp},signature=${hex}`;
}

const signed = (secrets: string[], token?: string): SourceConfig => ({
  id: 'buildkite',
  provider: 'buildkite',
  secrets,
  ...(token === undefined ? {} : { token }),
});
const tokenOnly = (token: string): SourceConfig => ({ id: 'buildkite', provider: 'buildkite', token });

describe('buildkiteProvider', () => {
  describe('verify: X-Buildkite-Signature', () => {
    const body = JSON.stringify(fixture('build.finished.passed.json'));
    const verify = (
      headers: Record<string, string>,
      source = signed(['bk-secret']),
      at = nowMs,
      raw = body,
    ) => buildkiteProvider.verify(request(headers, raw), source, at);

    it('accepts a signature over "timestamp.body"', () => {
      assert.equal(verify({ 'x-buildkite-signature': signature('bk-secret', body, nowSeconds) }), undefined);
    });

    it('accepts the parts in either order and with spaces', () => {
      const hex = createHmac('sha256', 'bk-secret').update(`${nowSeconds}.${body}`).digest('hex');
      assert.equal(
        verify({ 'x-buildkite-signature': `signature=${hex}, timestamp=${nowSeconds}` }),
        undefined,
      );
    });

    it('rejects a tampered body, and a timestamp other than the one signed', () => {
      const header = signature('bk-secret', body, nowSeconds);
      assert.equal(
        verify({ 'x-buildkite-signature': header }, undefined, nowMs, `${body} `)?.code,
        'bad_signature',
      );
      const moved = header.replace(`timestamp=${nowSeconds}`, `timestamp=${nowSeconds + 1}`);
      assert.equal(verify({ 'x-buildkite-signature': moved })?.code, 'bad_signature');
    });

    it('rejects a missing header as missing_signature', () => {
      assert.equal(verify({})?.code, 'missing_signature');
      assert.equal(verify({ 'x-buildkite-signature': '' })?.code, 'missing_signature');
    });

    it('rejects malformed headers as bad_signature', () => {
      const hex = createHmac('sha256', 'bk-secret').update(`${nowSeconds}.${body}`).digest('hex');
      for (const header of [
        `timestamp=${nowSeconds}`,
        `signature=${hex}`,
        `timestamp=abc,signature=${hex}`,
        `timestamp=${nowSeconds},signature=${hex}0`,
        `timestamp=${nowSeconds},signature=${hex.slice(2)}`,
        `timestamp=${nowSeconds},signature=zz${hex.slice(2)}`,
        hex,
      ]) {
        assert.equal(verify({ 'x-buildkite-signature': header })?.code, 'bad_signature', header);
      }
    });

    it('accepts any of the configured secrets (rotation)', () => {
      const header = { 'x-buildkite-signature': signature('new-secret', body, nowSeconds) };
      assert.equal(verify(header, signed(['old-secret', 'new-secret'])), undefined);
      assert.equal(verify(header, signed(['old-secret']))?.code, 'bad_signature');
    });

    it('takes a timestamp within 5 minutes either way, and calls an older or newer one stale', () => {
      for (const offset of [-300, 300, -10, 0]) {
        const header = { 'x-buildkite-signature': signature('bk-secret', body, nowSeconds + offset) };
        assert.equal(verify(header), undefined, String(offset));
      }
      for (const offset of [-301, 301, -900, 3600]) {
        const header = { 'x-buildkite-signature': signature('bk-secret', body, nowSeconds + offset) };
        assert.equal(verify(header)?.code, 'stale_signature', String(offset));
      }
    });

    it('says bad, not stale, for an old timestamp with a wrong signature', () => {
      const header = { 'x-buildkite-signature': signature('not-the-secret', body, nowSeconds - 900) };
      assert.equal(verify(header)?.code, 'bad_signature');
    });

    it('does not let a token stand in for the signature a source requires (no downgrade)', () => {
      const failure = verify({ 'x-buildkite-token': 'bk-secret' }, signed(['bk-secret'], 'bk-secret'));
      assert.equal(failure?.code, 'bad_signature');
    });

    it('with a token configured as well, checks a token sent alongside the signature', () => {
      const header = signature('bk-secret', body, nowSeconds);
      const source = signed(['bk-secret'], 'the-token');
      assert.equal(verify({ 'x-buildkite-signature': header }, source), undefined);
      assert.equal(
        verify({ 'x-buildkite-signature': header, 'x-buildkite-token': 'the-token' }, source),
        undefined,
      );
      assert.equal(
        verify({ 'x-buildkite-signature': header, 'x-buildkite-token': 'wrong' }, source)?.code,
        'bad_signature',
      );
    });
  });

  describe('verify: X-Buildkite-Token', () => {
    const verify = (
      headers: Record<string, string>,
      source = tokenOnly('309c9c842g8565adecpd7469x6005989'),
    ) => buildkiteProvider.verify(request(headers, 'x'), source, nowMs);

    it('accepts the configured token', () => {
      assert.equal(verify({ 'x-buildkite-token': '309c9c842g8565adecpd7469x6005989' }), undefined);
    });

    it('rejects another token, a prefix of it, or a longer one', () => {
      for (const token of ['nope', '309c9c842g8565adecpd7469x600598', '309c9c842g8565adecpd7469x60059890']) {
        assert.equal(verify({ 'x-buildkite-token': token })?.code, 'bad_signature', token);
      }
    });

    it('rejects a missing token as missing_signature', () => {
      assert.equal(verify({})?.code, 'missing_signature');
      assert.equal(verify({ 'x-buildkite-token': '' })?.code, 'missing_signature');
    });

    it('rejects a signature sent to a token-only source', () => {
      const header = {
        'x-buildkite-signature': signature('309c9c842g8565adecpd7469x6005989', 'x', nowSeconds),
      };
      assert.equal(verify(header)?.code, 'bad_signature');
    });
  });

  it('never puts a secret or token in its messages', () => {
    const source = signed(['s3cr3t-one', 's3cr3t-two'], 's3cr3t-token');
    for (const headers of [
      {},
      { 'x-buildkite-token': 'wrong' },
      { 'x-buildkite-signature': 'timestamp=1,signature=00' },
      { 'x-buildkite-signature': signature('s3cr3t-one', 'x', 1) },
    ]) {
      const failure = buildkiteProvider.verify(request(headers, 'x'), source, nowMs);
      assert.ok(failure);
      for (const s of ['s3cr3t-one', 's3cr3t-two', 's3cr3t-token']) assert.ok(!failure.message.includes(s));
    }
  });

  it('gives no delivery id, so the relay uses a digest of the body', () => {
    const req = request({ 'x-buildkite-request': '98c11d1e-d181-45dc-a60f-64d0fc89f6a3' });
    assert.equal(buildkiteProvider.deliveryId(req, fixture('build.finished.passed.json')), undefined);
  });

  describe('normalize build events', () => {
    const pipeline = {
      id: '0190b7d1-2c3e-4f5a-8b6c-7d8e9f0a1b2c',
      name: 'Widgets CI',
      number: 2217,
      url: 'https://buildkite.com/acme/widgets-ci/builds/2217',
    };
    const commit = {
      sha: '9b2e4f6a8c0d1e3f5a7b9c1d3e5f7a9b1c3d5e7f',
      message: 'Retry webhook deliveries with backoff',
      url: 'https://github.com/acme/widgets/commit/9b2e4f6a8c0d1e3f5a7b9c1d3e5f7a9b1c3d5e7f',
      author: { login: 'mona-dev', name: 'Mona Lisa', email: 'mona@acme.example' },
    };

    it('build.scheduled: queued', () => {
      assert.deepEqual(normalizeOne(fixture('build.scheduled.json')), {
        kind: 'pipeline',
        status: 'queued',
        providerStatus: 'scheduled',
        repository: { name: 'acme/widgets', url: 'https://github.com/acme/widgets' },
        branch: 'main',
        commit,
        pipeline,
        actor: { login: 'mona-dev', name: 'Mona Lisa', email: 'mona@acme.example' },
        createdAt: '2024-05-14T09:11:02.000Z',
      });
    });

    it('build.running: running, started', () => {
      const event = normalizeOne(fixture('build.running.json'));
      assert.equal(event.status, 'running');
      assert.equal(event.startedAt, '2024-05-14T09:11:09.000Z');
      assert.equal(event.finishedAt, undefined);
    });

    it('build.finished passed', () => {
      const event = normalizeOne(fixture('build.finished.passed.json'));
      assert.equal(event.status, 'success');
      assert.equal(event.providerStatus, 'passed');
      assert.deepEqual(event.pipeline, pipeline);
      assert.equal(event.finishedAt, '2024-05-14T09:16:47.000Z');
      assert.equal(event.durationMs, 338_000);
    });

    it('build.failing: still running (only build.finished ends the run), saying "failing"', () => {
      const event = normalizeOne(fixture('build.failing.json'));
      assert.equal(event.status, 'running');
      assert.equal(event.providerStatus, 'failing');
      assert.equal(event.finishedAt, undefined);
    });

    it('build.finished failed', () => {
      const event = normalizeOne(fixture('build.finished.failed.json'));
      assert.equal(event.status, 'failure');
      assert.equal(event.providerStatus, 'failed');
      assert.equal(event.pipeline.id, '0190b7e4-5f6a-4b7c-9d8e-0f1a2b3c4d5e');
      assert.equal(event.pipeline.number, 2218);
      assert.equal(event.durationMs, 431_000);
    });

    it('a rebuild: a new build of the same pipeline and branch, started by a person', () => {
      const failed = normalizeOne(fixture('build.finished.failed.json'));
      const rebuild = normalizeOne(fixture('build.finished.rebuild.json'));
      assert.equal(rebuild.status, 'success');
      assert.equal(rebuild.pipeline.name, failed.pipeline.name);
      assert.equal(rebuild.branch, failed.branch);
      assert.equal(rebuild.commit.sha, failed.commit.sha);
      assert.notEqual(rebuild.pipeline.id, failed.pipeline.id);
      assert.deepEqual(rebuild.actor, { name: 'Mona Lisa', email: 'mona@acme.example' });
    });

    it('build.finished canceled, for a pull request', () => {
      const event = normalizeOne(fixture('build.finished.canceled-pull-request.json'));
      assert.equal(event.status, 'cancelled');
      assert.equal(event.providerStatus, 'canceled');
      assert.equal(event.branch, 'feature/retry-backoff');
      assert.deepEqual(event.pullRequest, { number: 1287, url: 'https://github.com/acme/widgets/pull/1287' });
    });

    it('build.finished while blocked: waiting for a person, not finished', () => {
      const event = normalizeOne(fixture('build.finished.blocked.json'));
      assert.equal(event.status, 'waiting');
      assert.equal(event.providerStatus, 'passed (blocked)');
      assert.equal(event.tag, 'v2.4.0');
      assert.equal(event.branch, undefined);
    });

    it('names the repository from the git URL when the provider settings do not, and the slug as a last resort', () => {
      const base = withField(
        fixture('build.finished.passed.json'),
        'pipeline.provider.settings.repository',
        undefined,
      );
      const urls: [string, string, string | undefined][] = [
        ['git@github.com:acme/widgets.git', 'acme/widgets', 'https://github.com/acme/widgets'],
        [
          'https://github.com/fluid-project/infusion.git',
          'fluid-project/infusion',
          'https://github.com/fluid-project/infusion',
        ],
        [
          'ssh://git@gitlab.example.com/group/sub/app.git',
          'group/sub/app',
          'https://gitlab.example.com/group/sub/app',
        ],
        ['https://token@bitbucket.org/acme/api', 'acme/api', 'https://bitbucket.org/acme/api'],
        ['/srv/git/widgets', 'widgets-ci', undefined],
      ];
      for (const [url, name, web] of urls) {
        const event = normalizeOne(withField(base, 'pipeline.repository', url));
        assert.equal(event.repository.name, name, url);
        assert.equal(event.repository.url, web, url);
      }
    });

    it('builds GitLab and Bitbucket commit links, and none for an unknown host or HEAD', () => {
      const base = fixture('build.finished.passed.json');
      const sha = '9b2e4f6a8c0d1e3f5a7b9c1d3e5f7a9b1c3d5e7f';
      const gitlab = normalizeOne(withField(base, 'pipeline.provider.id', 'gitlab'));
      assert.equal(gitlab.commit.url, `https://github.com/acme/widgets/-/commit/${sha}`);
      const bitbucket = normalizeOne(withField(base, 'pipeline.provider.id', 'bitbucket'));
      assert.equal(bitbucket.commit.url, `https://github.com/acme/widgets/commits/${sha}`);
      assert.equal(normalizeOne(withField(base, 'pipeline.provider.id', 'git')).commit.url, undefined);
      assert.equal(normalizeOne(withField(base, 'build.commit', 'HEAD')).commit.url, undefined);
    });

    it('names the pipeline by its slug when it has no name', () => {
      const payload = withField(fixture('build.running.json'), 'pipeline.name', undefined);
      assert.equal(normalizeOne(payload).pipeline.name, 'widgets-ci');
    });

    it('throws a PayloadError naming a missing required field', () => {
      for (const field of ['build.id', 'build.state', 'build.commit', 'pipeline']) {
        const payload = withField(fixture('build.finished.passed.json'), field, undefined);
        assertPayloadError(
          () => normalize('build.finished', payload),
          field === 'pipeline' ? 'pipeline.slug' : field,
          field,
        );
      }
    });
  });

  describe('normalize job events', () => {
    it('job.finished failed', () => {
      assert.deepEqual(normalizeOne(fixture('job.finished.failed.json')), {
        kind: 'job',
        status: 'failure',
        providerStatus: 'failed',
        repository: { name: 'acme/widgets', url: 'https://github.com/acme/widgets' },
        branch: 'main',
        commit: {
          sha: '3c5e7a9b1d2f4a6c8e0b2d4f6a8c0e2b4d6f8a0c',
          message: 'Cap the backoff at 10 minutes',
          url: 'https://github.com/acme/widgets/commit/3c5e7a9b1d2f4a6c8e0b2d4f6a8c0e2b4d6f8a0c',
          author: { login: 'mona-dev', name: 'Mona Lisa', email: 'mona@acme.example' },
        },
        pipeline: {
          id: '0190b7e4-5f6a-4b7c-9d8e-0f1a2b3c4d5e',
          name: 'Widgets CI',
          number: 2218,
          url: 'https://buildkite.com/acme/widgets-ci/builds/2218',
        },
        job: {
          id: '0190b7e5-6a7b-4c8d-9e0f-1a2b3c4d5e6f',
          name: ':rspec: Integration tests',
          url: 'https://buildkite.com/acme/widgets-ci/builds/2218#0190b7e5-6a7b-4c8d-9e0f-1a2b3c4d5e6f',
          stage: 'tests',
          runnerLabels: ['queue=default'],
        },
        actor: { login: 'mona-dev', name: 'Mona Lisa', email: 'mona@acme.example' },
        createdAt: '2024-05-14T09:55:13.000Z',
        startedAt: '2024-05-14T09:55:20.000Z',
        finishedAt: '2024-05-14T09:58:41.000Z',
        durationMs: 201_000,
      });
    });

    it('job.scheduled and job.started', () => {
      const scheduled = normalizeOne(fixture('job.scheduled.json'));
      assert.equal(scheduled.status, 'queued');
      assert.equal(scheduled.job?.name, ':eslint: Lint');
      assert.equal(scheduled.job?.stage, undefined);
      const started = normalizeOne(fixture('job.started.json'));
      assert.equal(started.status, 'running');
      assert.equal(started.startedAt, '2024-05-14T09:55:20.000Z');
    });

    it("a retried job: a new job id, in the same build, so with the build's pipeline id", () => {
      const failed = normalizeOne(fixture('job.finished.failed.json'));
      const retry = normalizeOne(fixture('job.finished.retry-passed.json'));
      const build = normalizeOne(fixture('build.finished.failed.json'));
      assert.equal(retry.status, 'success');
      assert.notEqual(retry.job?.id, failed.job?.id);
      assert.equal(retry.job?.name, failed.job?.name);
      assert.equal(retry.pipeline.id, failed.pipeline.id);
      assert.equal(retry.pipeline.id, build.pipeline.id);
    });

    it('job.activated: the block step was released, by whom, named by its label', () => {
      const event = normalizeOne(fixture('job.activated.json'));
      assert.equal(event.status, 'success');
      assert.equal(event.providerStatus, 'unblocked');
      assert.equal(event.job?.name, ':rocket: Deploy to production');
      assert.deepEqual(event.actor, { name: 'Hubot Ops', email: 'ops@acme.example' });
    });

    it('a soft failure does not read as a failure', () => {
      const payload = withField(fixture('job.finished.failed.json'), 'job.soft_failed', true);
      const event = normalizeOne(payload);
      assert.equal(event.status, 'success');
      assert.equal(event.providerStatus, 'soft_failed');
    });

    it('`finished` (GraphQL wording) is told apart by the exit status', () => {
      let payload = withField(fixture('job.finished.failed.json'), 'job.state', 'finished');
      assert.equal(normalizeOne(payload).status, 'failure');
      payload = withField(payload, 'job.exit_status', 0);
      assert.equal(normalizeOne(payload).status, 'success');
    });

    it('names a job by its step key when it has neither name nor label', () => {
      const payload = withField(fixture('job.started.json'), 'job.name', null);
      assert.equal(normalizeOne(payload).job?.name, 'integration');
    });

    it('throws a PayloadError naming a missing required field', () => {
      let payload = withField(fixture('job.started.json'), 'job.name', undefined);
      payload = withField(payload, 'job.step_key', undefined);
      for (const [field, p] of [
        ['job.name', payload],
        ['job.id', withField(fixture('job.started.json'), 'job.id', undefined)],
        ['job.state', withField(fixture('job.started.json'), 'job.state', undefined)],
        ['build.id', withField(fixture('job.started.json'), 'build.id', undefined)],
      ] as const) {
        assertPayloadError(() => normalize('job.started', p), field);
      }
    });
  });

  describe('status mapping', () => {
    const buildStates: [string, string][] = [
      ['creating', 'queued'],
      ['scheduled', 'queued'],
      ['waiting', 'queued'],
      ['running', 'running'],
      ['failing', 'running'],
      ['passed', 'success'],
      ['failed', 'failure'],
      ['waiting_failed', 'failure'],
      ['blocked', 'waiting'],
      ['canceling', 'cancelled'],
      ['canceled', 'cancelled'],
      ['skipped', 'skipped'],
      ['not_run', 'skipped'],
    ];
    for (const [state, expected] of buildStates) {
      it(`build ${state} -> ${expected}`, () => {
        const event = normalizeOne(withField(fixture('build.running.json'), 'build.state', state));
        assert.equal(event.status, expected);
        assert.equal(event.providerStatus, state);
      });
    }

    const jobStates: [string, string][] = [
      ['pending', 'queued'],
      ['waiting', 'queued'],
      ['limiting', 'queued'],
      ['limited', 'queued'],
      ['platform_limiting', 'queued'],
      ['platform_limited', 'queued'],
      ['scheduled', 'queued'],
      ['assigned', 'queued'],
      ['accepted', 'queued'],
      ['running', 'running'],
      ['passed', 'success'],
      ['failed', 'failure'],
      ['timing_out', 'failure'],
      ['timed_out', 'failure'],
      ['canceling', 'cancelled'],
      ['canceled', 'cancelled'],
      ['blocked', 'waiting'],
      ['unblocked', 'success'],
      ['waiting_failed', 'skipped'],
      ['blocked_failed', 'skipped'],
      ['unblocked_failed', 'success'],
      ['skipped', 'skipped'],
      ['broken', 'skipped'],
      ['expired', 'error'],
    ];
    for (const [state, expected] of jobStates) {
      it(`job ${state} -> ${expected}`, () => {
        const event = normalizeOne(withField(fixture('job.started.json'), 'job.state', state));
        assert.equal(event.status, expected);
        assert.equal(event.providerStatus, state);
      });
    }

    it('the tables hold exactly the values tested above', () => {
      assert.deepEqual([...buildkiteBuildStates.keys()].sort(), buildStates.map(([s]) => s).sort());
      assert.deepEqual([...buildkiteJobStates.keys()].sort(), jobStates.map(([s]) => s).sort());
    });

    it('an unknown state is an error once finished, a PayloadError before', () => {
      let payload = withField(fixture('build.finished.passed.json'), 'build.state', 'hibernating');
      assert.deepEqual(
        [normalizeOne(payload).status, normalizeOne(payload).providerStatus],
        ['error', 'hibernating'],
      );
      payload = withField(fixture('job.finished.failed.json'), 'job.state', 'hibernating');
      assert.equal(normalizeOne(payload).status, 'error');
      for (const [event, file, field] of [
        ['build.running', 'build.running.json', 'build.state'],
        ['job.started', 'job.started.json', 'job.state'],
      ] as const) {
        assertPayloadError(() => normalize(event, withField(fixture(file), field, 'hibernating')), field);
      }
    });
  });

  describe('other events', () => {
    it('answers ping', () => {
      assert.deepEqual(normalize('ping', fixture('ping.json')), { type: 'ping' });
    });

    it('ignores agent events, saying why', () => {
      assert.deepEqual(normalize('agent.connected', fixture('agent.connected.json')), {
        type: 'ignored',
        reason: 'Buildkite event "agent.connected" is not a CI status event',
      });
    });

    it('falls back to the body\'s "event", and throws a PayloadError when neither names one', () => {
      const result = buildkiteProvider.normalize(request({}), fixture('build.running.json'));
      assert.equal(result.type, 'events');
      assertPayloadError(() => buildkiteProvider.normalize(request({}), {}));
    });
  });
});

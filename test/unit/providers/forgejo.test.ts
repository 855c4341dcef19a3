import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import type { SourceConfig } from '../../../src/config/source-config-schema';
import type { CiEventBody } from '../../../src/event/ci-event-schema';
import { forgejoProvider } from '../../../src/providers/forgejo';
import type { NormalizeResult } from '../../../src/providers/provider';
import { assertPayloadError, onlyValidEvent, withField } from '../../helpers/provider-test-kit';
import { fixtureJson, fixtureText, request, type Json } from '../../helpers/provider-test-kit';

const fixture = (name: string, dir = 'forgejo'): Json => fixtureJson(dir, name);

function normalize(event: string, payload: unknown): NormalizeResult {
  return forgejoProvider.normalize(request({ 'x-forgejo-event': event }), payload);
}

/** Normalizes a payload that must give exactly one event, and checks that event against the CiEvent schema. */
function normalizeOne(event: string, payload: unknown): CiEventBody {
  return onlyValidEvent(normalize(event, payload), {
    source: 'forgejo',
    provider: 'forgejo',
    deliveryId: 'd',
    receivedAt: '2025-06-13T12:00:00.000Z',
  });
}

const source = (secrets: string[]): SourceConfig => ({ id: 'forgejo', provider: 'forgejo', secrets });
const sign = (secret: string, body: string) => createHmac('sha256', secret).update(body).digest('hex');

const repository = { name: 'tooling/docs-site', url: 'https://code.example.org/tooling/docs-site' };

describe('forgejoProvider', () => {
  describe('verify', () => {
    const body = Buffer.from(fixtureText('forgejo', 'action_run_failure.json'));
    const good = sign('s3cret', body.toString());

    it('accepts the bare hex HMAC-SHA256 of the raw body in X-Forgejo-Signature', () => {
      assert.equal(
        forgejoProvider.verify(request({ 'x-forgejo-signature': good }, body), source(['s3cret']), 0),
        undefined,
      );
    });

    it('accepts X-Gitea-Signature alone, which Forgejo also sends', () => {
      assert.equal(
        forgejoProvider.verify(request({ 'x-gitea-signature': good }, body), source(['s3cret']), 0),
        undefined,
      );
    });

    it('checks X-Forgejo-Signature when both are there', () => {
      const req = request(
        { 'x-forgejo-signature': sign('other', body.toString()), 'x-gitea-signature': good },
        body,
      );
      const failure = forgejoProvider.verify(req, source(['s3cret']), 0);
      assert.equal(failure?.code, 'bad_signature');
      assert.match(failure?.message ?? '', /X-Forgejo-Signature/);
    });

    it('rejects a tampered body as bad_signature', () => {
      const req = request({ 'x-forgejo-signature': good }, Buffer.concat([body, Buffer.from('\n')]));
      assert.equal(forgejoProvider.verify(req, source(['s3cret']), 0)?.code, 'bad_signature');
    });

    it('rejects a request without either header as missing_signature', () => {
      const failure = forgejoProvider.verify(request({}, body), source(['s3cret']), 0);
      assert.equal(failure?.code, 'missing_signature');
      assert.match(failure?.message ?? '', /X-Forgejo-Signature or X-Gitea-Signature/);
    });

    it('accepts a body signed with any of the configured secrets (rotation)', () => {
      const req = request({ 'x-forgejo-signature': sign('new-secret', body.toString()) }, body);
      assert.equal(forgejoProvider.verify(req, source(['old-secret', 'new-secret']), 0), undefined);
      assert.equal(forgejoProvider.verify(req, source(['old-secret']), 0)?.code, 'bad_signature');
    });

    it('never puts a secret in its messages', () => {
      const secrets = ['s3cr3t-one', 's3cr3t-two'];
      for (const headers of [{}, { 'x-forgejo-signature': 'abcd' }]) {
        const failure = forgejoProvider.verify(request(headers, 'x'), source(secrets), 0);
        assert.ok(failure);
        for (const s of secrets) assert.ok(!failure.message.includes(s));
      }
    });
  });

  it('takes the delivery id from X-Forgejo-Delivery, else X-Gitea-Delivery', () => {
    const both = request({ 'x-forgejo-delivery': 'f-1', 'x-gitea-delivery': 'g-1' });
    assert.equal(forgejoProvider.deliveryId(both, {}), 'f-1');
    assert.equal(forgejoProvider.deliveryId(request({ 'x-gitea-delivery': 'g-1' }), {}), 'g-1');
  });

  describe('normalize action runs', () => {
    it('action_run_failure', () => {
      assert.deepEqual(normalizeOne('action_run_failure', fixture('action_run_failure.json')), {
        kind: 'pipeline',
        status: 'failure',
        providerStatus: 'failure',
        repository,
        branch: 'main',
        commit: {
          sha: '3c5e7a9b1d2f4e6a8c0b2d4f6e8a0c1b3d5f7e9a',
          message: 'Speed up search index build\n\nCache tokenized pages between builds.\n',
          url: 'https://code.example.org/tooling/docs-site/commit/3c5e7a9b1d2f4e6a8c0b2d4f6e8a0c1b3d5f7e9a',
          author: { login: 'lin', name: 'Lin Okafor', email: 'lin@example.org' },
        },
        pipeline: {
          id: '1187',
          name: 'build.yml',
          number: 96,
          url: 'https://code.example.org/tooling/docs-site/actions/runs/96',
        },
        actor: { login: 'lin', name: 'Lin Okafor', email: 'lin@example.org' },
        createdAt: '2025-06-12T12:03:02.000Z',
        startedAt: '2025-06-12T12:03:11.000Z',
        finishedAt: '2025-06-12T12:06:43.000Z',
        durationMs: 212_000,
      });
    });

    it('action_run_success', () => {
      const event = normalizeOne('action_run_success', fixture('action_run_success.json'));
      assert.equal(event.status, 'success');
      assert.equal(event.providerStatus, 'success');
      assert.equal(event.pipeline.id, '1191');
      assert.equal(event.commit.message, 'Fix search index cache key\n');
      assert.equal(event.durationMs, 156_000);
    });

    it('action_run_recover gives the same event as the action_run_success sent with it', () => {
      const recover = normalizeOne('action_run_recover', fixture('action_run_recover.json'));
      const success = normalizeOne('action_run_success', fixture('action_run_success.json'));
      assert.deepEqual(recover, success);
    });

    it('action_run_failure for a cancelled run is cancelled', () => {
      const event = normalizeOne('action_run_failure', fixture('action_run_failure.cancelled.json'));
      assert.equal(event.status, 'cancelled');
      assert.equal(event.providerStatus, 'cancelled');
      assert.equal(event.branch, 'renovate/deps');
      assert.deepEqual(event.actor, { login: 'ravi', name: 'Ravi Sen', email: 'ravi@example.org' });
    });

    it('a pull request run: #<n> in prettyref, head branch from the trigger, no commit message', () => {
      const event = normalizeOne('action_run_success', fixture('action_run_success.pull_request.json'));
      assert.deepEqual(event.pullRequest, {
        number: 42,
        url: 'https://code.example.org/tooling/docs-site/pulls/42',
      });
      assert.equal(event.branch, 'dark-mode');
      assert.equal(event.commit.message, undefined);
      assert.equal(event.commit.sha, 'b7c9d1e3f5a7b9c1d3e5f7a9b1c3d5e7f9a1b3c5');
    });

    it('tells a tag from a branch by the trigger’s full ref', () => {
      const trigger = JSON.stringify({ ref: 'refs/tags/v2.0.0', head_commit: null });
      let payload = withField(fixture('action_run_success.json'), 'run.event_payload', trigger);
      payload = withField(payload, 'run.prettyref', 'v2.0.0');
      const event = normalizeOne('action_run_success', payload);
      assert.equal(event.tag, 'v2.0.0');
      assert.equal(event.branch, undefined);
    });

    it('falls back to prettyref as the branch and the title as the message without a usable trigger payload', () => {
      let payload = withField(fixture('action_run_failure.json'), 'run.event_payload', 'not json');
      payload = withField(payload, 'run.prettyref', 'release/1.x');
      const event = normalizeOne('action_run_failure', payload);
      assert.equal(event.branch, 'release/1.x');
      assert.equal(event.commit.message, 'Speed up search index build');
      assert.equal(event.commit.author, undefined);
    });

    it('reads Go’s zero time as absent and times the run from started/stopped without a duration', () => {
      let payload = withField(fixture('action_run_failure.json'), 'run.created', '0001-01-01T00:00:00Z');
      payload = withField(payload, 'run.duration', undefined);
      const event = normalizeOne('action_run_failure', payload);
      assert.equal(event.createdAt, undefined);
      assert.equal(event.durationMs, 212_000);
      const unstarted = withField(payload, 'run.started', '0001-01-01T00:00:00Z');
      assert.equal(normalizeOne('action_run_failure', unstarted).durationMs, undefined);
    });

    it('throws a PayloadError naming a missing required field', () => {
      for (const field of [
        'run.id',
        'run.status',
        'run.commit_sha',
        'run.workflow_id',
        'run.repository.full_name',
      ]) {
        const payload = withField(fixture('action_run_failure.json'), field, undefined);
        assertPayloadError(() => normalize('action_run_failure', payload), field);
      }
    });
  });

  describe('status mapping', () => {
    const statuses: [status: string, expected: string][] = [
      ['success', 'success'],
      ['failure', 'failure'],
      ['cancelled', 'cancelled'],
      ['skipped', 'skipped'],
      ['waiting', 'queued'],
      ['running', 'running'],
      ['blocked', 'queued'],
      ['unknown', 'error'],
      ['some_new_state', 'error'],
    ];
    for (const [status, expected] of statuses) {
      it(`run ${status} -> ${expected}`, () => {
        const body = normalizeOne(
          'action_run_failure',
          withField(fixture('action_run_failure.json'), 'run.status', status),
        );
        assert.equal(body.status, expected);
        assert.equal(body.providerStatus, status);
      });
    }

    it('run blocked on approving a fork’s pull request -> waiting', () => {
      let payload = withField(fixture('action_run_failure.json'), 'run.status', 'blocked');
      payload = withField(payload, 'run.need_approval', true);
      assert.equal(normalizeOne('action_run_failure', payload).status, 'waiting');
    });
  });

  describe('other events', () => {
    it('takes a Gitea-style commit status', () => {
      const event = normalizeOne('status', fixture('status.success.json', 'gitea'));
      assert.equal(event.status, 'success');
      assert.equal(event.pipeline.name, 'ci/woodpecker/push/build');
    });

    it('ignores push and Gitea’s workflow events, saying why', () => {
      assert.deepEqual(normalize('push', {}), {
        type: 'ignored',
        reason: 'Forgejo event "push" is not a CI status event',
      });
      assert.equal(normalize('workflow_run', {}).type, 'ignored');
    });

    it('reads the event from X-Gitea-Event when Forgejo’s own header is absent', () => {
      const req = request({ 'x-gitea-event': 'action_run_failure' });
      assert.equal(forgejoProvider.normalize(req, fixture('action_run_failure.json')).type, 'events');
    });

    it('throws a PayloadError without an event header', () => {
      assertPayloadError(() => forgejoProvider.normalize(request({}), fixture('action_run_failure.json')));
    });
  });
});

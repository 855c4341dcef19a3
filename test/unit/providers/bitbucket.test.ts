import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import type { SourceConfig } from '../../../src/config/source-config-schema';
import type { CiEventBody } from '../../../src/event/ci-event-schema';
import { bitbucketProvider, bitbucketStates } from '../../../src/providers/bitbucket';
import type { NormalizeResult } from '../../../src/providers/provider';
import { assertPayloadError, onlyValidEvent, withField } from '../../helpers/provider-test-kit';
import { fixtureJson, fixtureText, request, type Json } from '../../helpers/provider-test-kit';

const fixture = (name: string): Json => fixtureJson('bitbucket', name);

function normalize(payload: unknown, event = 'repo:commit_status_updated'): NormalizeResult {
  return bitbucketProvider.normalize(request({ 'x-event-key': event }), payload);
}

/** Normalizes a payload that must give exactly one event, and checks that event against the CiEvent schema. */
function normalizeOne(payload: unknown, event?: string): CiEventBody {
  return onlyValidEvent(normalize(payload, event), {
    source: 'bitbucket',
    provider: 'bitbucket',
    deliveryId: 'd',
    receivedAt: '2024-07-22T16:00:00.000Z',
  });
}

const source = (secrets: string[]): SourceConfig => ({ id: 'bitbucket', provider: 'bitbucket', secrets });

// Made as Bitbucket documents it: https://support.atlassian.com/bitbucket-cloud/docs/manage-webhooks/#Secure-webhooks
function sign(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

describe('bitbucketProvider', () => {
  describe('verify', () => {
    const secret = 'bb-webhook-secret-91c2';
    const body = fixtureText('bitbucket', 'commit_status.failed.json');

    it('accepts a body signed with the secret', () => {
      const req = request({ 'x-hub-signature': sign(secret, body) }, body);
      assert.equal(bitbucketProvider.verify(req, source([secret]), 0), undefined);
    });

    it('rejects a tampered body as bad_signature', () => {
      const req = request({ 'x-hub-signature': sign(secret, body) }, body.replace('FAILED', 'PASSED'));
      assert.equal(bitbucketProvider.verify(req, source([secret]), 0)?.code, 'bad_signature');
    });

    it('rejects a missing header as missing_signature', () => {
      for (const headers of [{}, { 'x-hub-signature': '' }]) {
        assert.equal(
          bitbucketProvider.verify(request(headers, body), source([secret]), 0)?.code,
          'missing_signature',
        );
      }
    });

    it('rejects a signature without the sha256= prefix, or not hex', () => {
      const hex = sign(secret, body).slice('sha256='.length);
      for (const header of [hex, `sha1=${hex}`, 'sha256=zz', `sha256=${hex}0`]) {
        const req = request({ 'x-hub-signature': header }, body);
        assert.equal(bitbucketProvider.verify(req, source([secret]), 0)?.code, 'bad_signature', header);
      }
    });

    it('accepts a body signed with any of the configured secrets (rotation)', () => {
      const req = request({ 'x-hub-signature': sign('new-secret', body) }, body);
      assert.equal(bitbucketProvider.verify(req, source(['old-secret', 'new-secret']), 0), undefined);
      assert.equal(bitbucketProvider.verify(req, source(['old-secret']), 0)?.code, 'bad_signature');
    });

    it('never puts a secret in its messages', () => {
      for (const headers of [{}, { 'x-hub-signature': 'sha256=00' }]) {
        const failure = bitbucketProvider.verify(request(headers, body), source([secret]), 0);
        assert.ok(failure);
        assert.ok(!failure.message.includes(secret));
      }
    });
  });

  it('takes the delivery id from X-Request-UUID', () => {
    const req = request({ 'x-request-uuid': '9b1f6e2a-0c4d-4e8b-b7a5-3d2c1b0a9f01', 'x-hook-uuid': 'hook' });
    assert.equal(bitbucketProvider.deliveryId(req, {}), '9b1f6e2a-0c4d-4e8b-b7a5-3d2c1b0a9f01');
    assert.equal(bitbucketProvider.deliveryId(request({}), {}), undefined);
  });

  describe('normalize commit status', () => {
    it('successful Bitbucket Pipelines status', () => {
      assert.deepEqual(normalizeOne(fixture('commit_status.successful.json')), {
        kind: 'pipeline',
        status: 'success',
        providerStatus: 'SUCCESSFUL',
        repository: {
          name: 'acme-labs/billing-service',
          url: 'https://bitbucket.org/acme-labs/billing-service',
        },
        branch: 'main',
        commit: {
          sha: '5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b',
          message: 'Round invoice totals half-even\n',
          url: 'https://bitbucket.org/acme-labs/billing-service/commits/5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b',
        },
        pipeline: {
          id: 'acme-labs/billing-service:5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b:8d3a1e2f4b5c6d7e8f9a0b1c2d3e4f5a',
          name: 'Pipeline #1187 for main',
          url: 'https://bitbucket.org/acme-labs/billing-service/addon/pipelines/home#!/results/1187',
        },
        actor: { login: 'mholt', name: 'Mira Holt' },
        createdAt: '2024-07-22T15:20:03.771Z',
        finishedAt: '2024-07-22T15:24:16.052Z',
      });
    });

    it('in progress, created by an outside CI: the commit comes from the link, nothing finished', () => {
      const event = normalizeOne(fixture('commit_status.inprogress.json'), 'repo:commit_status_created');
      assert.equal(event.status, 'running');
      assert.equal(event.providerStatus, 'INPROGRESS');
      assert.equal(event.commit.sha, 'e3b1c9d27a4f8e605b2c1d9a8f7e6d5c4b3a2f10');
      assert.equal(event.branch, undefined);
      assert.equal(event.finishedAt, undefined);
      assert.equal(event.pipeline.url, 'https://jenkins.acme.example/job/billing-service/job/main/214/');
    });

    it('failed', () => {
      const event = normalizeOne(fixture('commit_status.failed.json'));
      assert.equal(event.status, 'failure');
      assert.equal(event.finishedAt, '2024-07-22T14:11:48.930Z');
    });

    it('stopped: cancelled', () => {
      const event = normalizeOne(fixture('commit_status.stopped.json'));
      assert.equal(event.status, 'cancelled');
      assert.equal(event.providerStatus, 'STOPPED');
      assert.equal(event.finishedAt, '2024-07-22T14:05:02.118Z');
    });

    it('keeps one pipeline id for a status as it moves from created to updated', () => {
      const started = normalizeOne(fixture('commit_status.inprogress.json'), 'repo:commit_status_created');
      const ended = normalizeOne(fixture('commit_status.failed.json'));
      assert.equal(started.pipeline.id, ended.pipeline.id);
      assert.equal(
        started.pipeline.id,
        'acme-labs/billing-service:e3b1c9d27a4f8e605b2c1d9a8f7e6d5c4b3a2f10:jenkins-billing-ci',
      );
    });

    it('names the pipeline after the key when the status has no name', () => {
      const payload = withField(fixture('commit_status.failed.json'), 'commit_status.name', null);
      assert.equal(normalizeOne(payload).pipeline.name, 'jenkins-billing-ci');
    });

    it('recognizes a tag in refname', () => {
      const payload = withField(
        fixture('commit_status.successful.json'),
        'commit_status.refname',
        'refs/tags/v1.8.0',
      );
      const event = normalizeOne(payload);
      assert.equal(event.tag, 'v1.8.0');
      assert.equal(event.branch, undefined);
    });

    it('throws a PayloadError naming a missing required field', () => {
      for (const field of ['repository.full_name', 'commit_status.state', 'commit_status.key']) {
        assertPayloadError(
          () => normalize(withField(fixture('commit_status.failed.json'), field, undefined)),
          field,
        );
      }
      assertPayloadError(
        () => normalize(withField(fixture('commit_status.failed.json'), 'commit_status.links', undefined)),
        'commit_status.links.commit.href',
      );
    });

    it('throws a PayloadError when the commit link does not end in a hash', () => {
      const payload = withField(
        fixture('commit_status.failed.json'),
        'commit_status.links.commit.href',
        'https://api.bitbucket.org/2.0/repositories/acme-labs/billing-service',
      );
      assertPayloadError(() => normalize(payload), 'commit_status.links.commit.href');
    });
  });

  describe('status mapping', () => {
    const table: [state: string, expected: string][] = [
      ['INPROGRESS', 'running'],
      ['SUCCESSFUL', 'success'],
      ['FAILED', 'failure'],
      ['STOPPED', 'cancelled'],
    ];

    it('covers every value in the exported table', () => {
      assert.deepEqual(new Map(table), bitbucketStates);
    });

    for (const [state, expected] of table) {
      it(`${state} -> ${expected}`, () => {
        const event = normalizeOne(
          withField(fixture('commit_status.failed.json'), 'commit_status.state', state),
        );
        assert.equal(event.status, expected);
        assert.equal(event.providerStatus, state);
        assert.equal(event.finishedAt === undefined, state === 'INPROGRESS');
      });
    }

    it('throws a PayloadError on an unknown state', () => {
      const payload = withField(fixture('commit_status.failed.json'), 'commit_status.state', 'successful');
      assertPayloadError(() => normalize(payload), 'commit_status.state');
    });
  });

  describe('other events', () => {
    it('ignores a push, saying why', () => {
      assert.deepEqual(normalize(fixture('repo-push.json'), 'repo:push'), {
        type: 'ignored',
        reason: 'Bitbucket event "repo:push" is not a CI status event',
      });
    });

    it('throws a PayloadError without X-Event-Key', () => {
      assertPayloadError(() =>
        bitbucketProvider.normalize(request({}), fixture('commit_status.failed.json')),
      );
    });
  });
});

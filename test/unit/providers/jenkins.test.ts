import assert from 'node:assert/strict';
import type { SourceConfig } from '../../../src/config/source-config-schema';
import type { CiEventBody } from '../../../src/event/ci-event-schema';
import { jenkinsProvider } from '../../../src/providers/jenkins';
import type { NormalizeResult } from '../../../src/providers/provider';
import { assertPayloadError, onlyValidEvent, withField } from '../../helpers/provider-test-kit';
import { fixtureJson, fixtureText, request, type Json } from '../../helpers/provider-test-kit';
import { standardWebhookHeaders } from '../../helpers/sign';

const fixture = (name: string): Json => fixtureJson('jenkins', name);

function normalize(payload: unknown): NormalizeResult {
  return jenkinsProvider.normalize(request({}), payload);
}

/** Normalizes a payload that must give exactly one event, and checks that event against the CiEvent schema. */
function normalizeOne(payload: unknown): CiEventBody {
  return onlyValidEvent(normalize(payload), {
    source: 'jenkins',
    provider: 'jenkins',
    deliveryId: 'sha256:0',
    receivedAt: '2025-05-20T12:00:00.000Z',
  });
}

// Credentials made here the way the Notification plugin (userinfo of the endpoint URL) and the Standard
// Webhooks spec make them, independently of the relay's code.
const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const whsec = (text: string) => `whsec_${Buffer.from(text).toString('base64')}`;
const standardHeaders = (secret: string, body: string, timestampSeconds: number, id = 'msg_2gQ7Jenkins') =>
  standardWebhookHeaders(secret, id, body, timestampSeconds);

const nowMs = Date.UTC(2025, 4, 20, 12, 0, 0);
const now = Math.floor(nowMs / 1000);
const credentials = { username: 'ci', password: 'hook-p4ss' };
const signingKey = whsec('jenkins-pipeline-signing-key-32b');
const basicSource: SourceConfig = { id: 'jenkins', provider: 'jenkins', basicAuth: credentials };
const signedSource: SourceConfig = { id: 'jenkins', provider: 'jenkins', secrets: [signingKey] };
const bothSource: SourceConfig = {
  id: 'jenkins',
  provider: 'jenkins',
  basicAuth: credentials,
  secrets: [signingKey],
};

const pipelineUrl = 'https://jenkins.example.com/job/payments/job/api/214/';

describe('jenkinsProvider', () => {
  const body = fixtureText('jenkins', 'completed.success.json');
  const verify = (headers: Record<string, string>, source: SourceConfig, raw = body) =>
    jenkinsProvider.verify(request(headers, raw), source, nowMs);

  describe('verify: HTTP Basic (the Notification plugin)', () => {
    it('accepts the configured username and password', () => {
      assert.equal(verify({ authorization: basic('ci', 'hook-p4ss') }, basicSource), undefined);
    });

    it('rejects a wrong password or username as bad_signature', () => {
      assert.equal(verify({ authorization: basic('ci', 'wrong') }, basicSource)?.code, 'bad_signature');
      assert.equal(
        verify({ authorization: basic('admin', 'hook-p4ss') }, basicSource)?.code,
        'bad_signature',
      );
    });

    it('rejects another scheme as bad_signature', () => {
      assert.equal(verify({ authorization: 'Bearer hook-p4ss' }, basicSource)?.code, 'bad_signature');
    });

    it('rejects a request without Authorization as missing_signature', () => {
      assert.equal(verify({}, basicSource)?.code, 'missing_signature');
    });

    it('cannot tell a tampered body: a password says who sent it, not what', () => {
      assert.equal(verify({ authorization: basic('ci', 'hook-p4ss') }, basicSource, `${body} `), undefined);
    });
  });

  describe('verify: Standard Webhooks (a pipeline step)', () => {
    it('accepts a valid signature', () => {
      assert.equal(verify(standardHeaders(signingKey, body, now), signedSource), undefined);
    });

    it('rejects a tampered body as bad_signature', () => {
      assert.equal(
        verify(standardHeaders(signingKey, body, now), signedSource, `${body} `)?.code,
        'bad_signature',
      );
    });

    it('rejects a request without the headers as missing_signature', () => {
      assert.equal(verify({}, signedSource)?.code, 'missing_signature');
    });

    it('rejects a timestamp outside the window as stale_signature', () => {
      assert.equal(
        verify(standardHeaders(signingKey, body, now - 600), signedSource)?.code,
        'stale_signature',
      );
    });

    it('accepts a body signed with any of the configured secrets (rotation)', () => {
      const newer = whsec('jenkins-pipeline-signing-key-new!');
      const rotated: SourceConfig = { ...signedSource, secrets: [signingKey, newer] };
      assert.equal(verify(standardHeaders(newer, body, now), rotated), undefined);
      assert.equal(verify(standardHeaders(newer, body, now), signedSource)?.code, 'bad_signature');
    });
  });

  describe('verify: both configured, both must pass', () => {
    const good = { authorization: basic('ci', 'hook-p4ss'), ...standardHeaders(signingKey, body, now) };

    it('accepts both valid', () => {
      assert.equal(verify(good, bothSource), undefined);
    });

    it('rejects when either is missing', () => {
      assert.equal(verify(standardHeaders(signingKey, body, now), bothSource)?.code, 'missing_signature');
      assert.equal(
        verify({ authorization: basic('ci', 'hook-p4ss') }, bothSource)?.code,
        'missing_signature',
      );
    });

    it('rejects when either is wrong', () => {
      assert.equal(
        verify({ ...good, authorization: basic('ci', 'nope') }, bothSource)?.code,
        'bad_signature',
      );
      assert.equal(verify(good, bothSource, `${body} `)?.code, 'bad_signature');
    });

    it('never puts a secret in its messages', () => {
      for (const headers of [
        {},
        { authorization: basic('ci', 'nope') },
        { ...good, 'webhook-signature': 'v1,AAAA' },
      ]) {
        const failure = verify(headers, bothSource);
        assert.ok(failure);
        for (const secret of ['hook-p4ss', signingKey]) assert.ok(!failure.message.includes(secret));
      }
    });
  });

  it('has no delivery id of its own (the relay digests the body), but takes webhook-id when signed', () => {
    assert.equal(jenkinsProvider.deliveryId(request({}), {}), undefined);
    assert.equal(jenkinsProvider.deliveryId(request({ 'webhook-id': 'msg_1' }), {}), 'msg_1');
  });

  describe('normalize', () => {
    it('COMPLETED / SUCCESS', () => {
      assert.deepEqual(normalizeOne(fixture('completed.success.json')), {
        kind: 'pipeline',
        status: 'success',
        providerStatus: 'COMPLETED/SUCCESS',
        repository: { name: 'acme-pay/payments-api', url: 'https://github.com/acme-pay/payments-api' },
        branch: 'main',
        commit: { sha: 'f4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c9b8a7f6e5' },
        pipeline: { id: pipelineUrl, name: 'payments/api', number: 214, url: pipelineUrl },
        // COMPLETED is stamped start + duration.
        startedAt: '2025-05-20T08:14:03.412Z',
        finishedAt: '2025-05-20T08:21:47.950Z',
        durationMs: 464_538,
      });
    });

    it('QUEUED: queued, stamped with when it entered the queue (".7" is 7 ms)', () => {
      const event = normalizeOne(fixture('queued.json'));
      assert.equal(event.status, 'queued');
      assert.equal(event.providerStatus, 'QUEUED');
      assert.equal(event.createdAt, '2025-05-20T08:13:51.007Z');
      assert.equal(event.startedAt, undefined);
      assert.equal(event.durationMs, undefined);
    });

    it('STARTED: running, from its start', () => {
      const event = normalizeOne(fixture('started.json'));
      assert.equal(event.status, 'running');
      assert.equal(event.providerStatus, 'STARTED');
      assert.equal(event.startedAt, '2025-05-20T08:14:03.412Z');
      assert.equal(event.finishedAt, undefined);
    });

    it('one pipeline id across the phases of a build', () => {
      const ids = ['queued.json', 'started.json', 'completed.success.json'].map(
        (f) => normalizeOne(fixture(f)).pipeline.id,
      );
      assert.deepEqual(ids, [pipelineUrl, pipelineUrl, pipelineUrl]);
    });

    it('COMPLETED / FAILURE and COMPLETED / ABORTED', () => {
      const failure = normalizeOne(fixture('completed.failure.json'));
      assert.equal(failure.status, 'failure');
      assert.equal(failure.providerStatus, 'COMPLETED/FAILURE');
      assert.equal(failure.finishedAt, '2025-05-20T09:02:10.031Z');
      const aborted = normalizeOne(fixture('completed.aborted.json'));
      assert.equal(aborted.status, 'cancelled');
      assert.equal(aborted.providerStatus, 'COMPLETED/ABORTED');
    });

    it('FINALIZED / UNSTABLE: a failure; stamped when finalized, so no start is derived', () => {
      const event = normalizeOne(fixture('finalized.unstable.json'));
      assert.equal(event.status, 'failure');
      assert.equal(event.providerStatus, 'FINALIZED/UNSTABLE');
      assert.equal(event.finishedAt, '2025-05-20T10:15:31.204Z');
      assert.equal(event.startedAt, undefined);
      assert.equal(event.durationMs, 512_077);
    });

    it('strips origin/ and refs/remotes/origin/ from the branch; reads refs/tags/ as a tag', () => {
      const base = fixture('started.json');
      assert.equal(
        normalizeOne(withField(base, 'build.scm.branch', 'refs/remotes/origin/release/2.x')).branch,
        'release/2.x',
      );
      assert.equal(normalizeOne(withField(base, 'build.scm.branch', 'refs/heads/main')).branch, 'main');
      assert.equal(normalizeOne(withField(base, 'build.scm.branch', 'feature/x')).branch, 'feature/x');
      const tagged = normalizeOne(withField(base, 'build.scm.branch', 'refs/tags/v1.4.0'));
      assert.equal(tagged.tag, 'v1.4.0');
      assert.equal(tagged.branch, undefined);
    });

    it('names the repository after the job when there is no SCM URL', () => {
      const event = normalizeOne(withField(fixture('started.json'), 'build.scm.url', undefined));
      assert.deepEqual(event.repository, { name: 'payments/api' });
    });

    it('uses the short job name without a job URL, and the build path without a root URL', () => {
      let payload = withField(fixture('completed.success.json'), 'url', undefined);
      payload = withField(payload, 'build.full_url', undefined);
      const event = normalizeOne(payload);
      assert.deepEqual(event.pipeline, { id: 'job/payments/job/api/214/', name: 'api', number: 214 });
    });

    it('throws a PayloadError naming build.scm.commit when the build has no Git commit', () => {
      assertPayloadError(
        () => normalize(withField(fixture('started.json'), 'build.scm.commit', undefined)),
        'build.scm.commit',
      );
      assertPayloadError(
        () => normalize(withField(fixture('started.json'), 'build.scm', {})),
        'build.scm.commit',
      );
    });

    it('throws a PayloadError naming other missing required fields', () => {
      assertPayloadError(
        () => normalize(withField(fixture('started.json'), 'build', undefined)),
        'build.phase',
      );
      assertPayloadError(
        () => normalize(withField(fixture('completed.success.json'), 'build.status', undefined)),
        'build.status',
      );
      let nameless = withField(fixture('started.json'), 'url', undefined);
      nameless = withField(nameless, 'name', undefined);
      assertPayloadError(() => normalize(nameless), 'name');
    });
  });

  describe('status mapping', () => {
    const unfinished: [phase: string, expected: string][] = [
      ['QUEUED', 'queued'],
      ['STARTED', 'running'],
    ];
    for (const [phase, expected] of unfinished) {
      it(`${phase} -> ${expected}`, () => {
        const body = normalizeOne(withField(fixture('started.json'), 'build.phase', phase));
        assert.equal(body.status, expected);
        assert.equal(body.providerStatus, phase);
      });
    }

    const results: [result: string, expected: string][] = [
      ['SUCCESS', 'success'],
      ['UNSTABLE', 'failure'],
      ['FAILURE', 'failure'],
      ['NOT_BUILT', 'skipped'],
      ['ABORTED', 'cancelled'],
      ['SOMETHING_NEW', 'error'],
    ];
    for (const phase of ['COMPLETED', 'FINALIZED']) {
      for (const [result, expected] of results) {
        it(`${phase}/${result} -> ${expected}`, () => {
          let payload = withField(fixture('completed.success.json'), 'build.phase', phase);
          payload = withField(payload, 'build.status', result);
          const body = normalizeOne(payload);
          assert.equal(body.status, expected);
          assert.equal(body.providerStatus, `${phase}/${result}`);
        });
      }
    }

    it('ignores phase NONE, saying why', () => {
      assert.deepEqual(normalize(withField(fixture('started.json'), 'build.phase', 'NONE')), {
        type: 'ignored',
        reason: 'Jenkins phase "NONE" carries no build state',
      });
    });

    it('throws a PayloadError on an unknown phase', () => {
      assertPayloadError(
        () => normalize(withField(fixture('started.json'), 'build.phase', 'EXPLODED')),
        'build.phase',
      );
    });
  });
});

import assert from 'node:assert/strict';
import { generateKeyPairSync, sign } from 'node:crypto';
import type { SourceConfig } from '../../../src/config/source-config-schema';
import type { CiEventBody } from '../../../src/event/ci-event-schema';
import type { NormalizeResult, WebhookRequest } from '../../../src/providers/provider';
import { travisProvider, travisStates, travisStatusMessages } from '../../../src/providers/travis';
import { parsePayload } from '../../../src/receiver/parse-payload';
import { assertPayloadError, onlyValidEvent, withField } from '../../helpers/provider-test-kit';
import {
  fixtureJson,
  fixtureText,
  request as webhookRequest,
  type Json,
} from '../../helpers/provider-test-kit';

// Key pairs made for the test stand in for Travis CI's (https://api.travis-ci.com/config publishes the public half).
function rsaKeyPair() {
  return generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
}
const travisKeys = rsaKeyPair();
const otherKeys = rsaKeyPair();

const fixture = (name: string): Json => fixtureJson('travis', name);

/** The form body Travis CI posts: the JSON, URL-encoded, in a `payload` field. */
function formBody(json: string): string {
  return `payload=${encodeURIComponent(json)}`;
}

/** Travis CI's `Signature`: base64 RSA-SHA1 over the JSON in the `payload` field. */
function signature(json: string, privateKey = travisKeys.privateKey): string {
  return sign('sha1', Buffer.from(json), privateKey).toString('base64');
}

/** Travis CI posts a form, and always with a body. */
function request(headers: Record<string, string>, body: string): WebhookRequest {
  return webhookRequest(headers, body, 'application/x-www-form-urlencoded');
}

const source = (publicKey = travisKeys.publicKey): SourceConfig => ({
  id: 'travis',
  provider: 'travis',
  publicKey,
});

function normalize(payload: unknown, headers: Record<string, string> = {}): NormalizeResult {
  return travisProvider.normalize(request(headers, formBody(JSON.stringify(payload))), payload);
}

/** Normalizes a payload that must give exactly one event, and checks that event against the CiEvent schema. */
function normalizeOne(payload: unknown): CiEventBody {
  return onlyValidEvent(normalize(payload), {
    source: 'travis',
    provider: 'travis',
    deliveryId: 'sha256:digest',
    receivedAt: '2024-05-14T10:00:00.000Z',
  });
}

describe('travisProvider', () => {
  it('takes form posts only', () => {
    assert.deepEqual(travisProvider.contentTypes, ['application/x-www-form-urlencoded']);
  });

  describe('verify', () => {
    const json = fixtureText('travis', 'build.passed.json');
    const verify = (headers: Record<string, string>, body = formBody(json), src = source()) =>
      travisProvider.verify(request(headers, body), src, 0);

    it('accepts the payload field signed with the private half of the configured key', () => {
      assert.equal(verify({ signature: signature(json) }), undefined);
    });

    it('verifies the decoded field, however the form encoded it (+ for spaces, other fields around it)', () => {
      const plus = `payload=${encodeURIComponent(json).replace(/%20/g, '+')}`;
      assert.equal(verify({ signature: signature(json) }, plus), undefined);
      assert.equal(verify({ signature: signature(json) }, `other=1&${formBody(json)}&more=2`), undefined);
    });

    it('accepts the signature broken into lines, as Ruby writes Base64 by default', () => {
      const lines = signature(json).replace(/.{60}/g, '$&\n');
      assert.equal(verify({ signature: lines }), undefined);
    });

    it('rejects a tampered payload', () => {
      const tampered = json.replace('"Passed"', '"Failed"');
      assert.equal(verify({ signature: signature(json) }, formBody(tampered))?.code, 'bad_signature');
    });

    it('rejects a signature made with another key', () => {
      assert.equal(verify({ signature: signature(json, otherKeys.privateKey) })?.code, 'bad_signature');
      assert.equal(
        verify({ signature: signature(json) }, formBody(json), source(otherKeys.publicKey))?.code,
        'bad_signature',
      );
    });

    it('rejects a missing or empty Signature as missing_signature', () => {
      assert.equal(verify({})?.code, 'missing_signature');
      assert.equal(verify({ signature: '' })?.code, 'missing_signature');
    });

    it('rejects a body without a payload field, a signature that is not base64, or a truncated one', () => {
      assert.equal(
        verify({ signature: signature(json) }, `data=${encodeURIComponent(json)}`)?.code,
        'bad_signature',
      );
      assert.equal(verify({ signature: 'not base64!' })?.code, 'bad_signature');
      assert.equal(verify({ signature: signature(json).slice(0, 100) })?.code, 'bad_signature');
    });

    it('says when the configured key is not usable, without printing it', () => {
      const failure = verify(
        { signature: signature(json) },
        formBody(json),
        source('-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----'),
      );
      assert.equal(failure?.code, 'bad_signature');
      assert.ok(!failure?.message.includes('nope'));
    });
  });

  it('gives no delivery id, so the relay uses a digest of the body', () => {
    assert.equal(travisProvider.deliveryId(request({}, ''), fixture('build.passed.json')), undefined);
  });

  it('reads the payload the receiver parses out of the form', () => {
    const json = fixtureText('travis', 'build.passed.json');
    const req = request({}, formBody(json));
    assert.deepEqual(parsePayload(req), JSON.parse(json));
  });

  describe('normalize', () => {
    it('Passed', () => {
      assert.deepEqual(normalizeOne(fixture('build.passed.json')), {
        kind: 'pipeline',
        status: 'success',
        providerStatus: 'Passed',
        repository: { name: 'acme-corp/web-shop', url: 'https://github.com/acme-corp/web-shop' },
        branch: 'main',
        commit: {
          sha: '9b2e4f6a8c0d1e3f5a7b9c1d3e5f7a9b1c3d5e7f',
          message: 'Retry webhook deliveries with backoff\n\nCloses #1280',
          url: 'https://github.com/acme-corp/web-shop/compare/1f0e2d3c4b5a...9b2e4f6a8c0d',
          author: { name: 'Mona Lisa', email: 'mona@acme.example' },
        },
        pipeline: {
          id: '612004410',
          name: 'Travis CI',
          number: 731,
          url: 'https://app.travis-ci.com/github/acme-corp/web-shop/builds/612004410',
        },
        startedAt: '2024-05-14T09:11:20.000Z',
        finishedAt: '2024-05-14T09:15:02.000Z',
        durationMs: 222_000,
      });
    });

    it('Broken: one build, however many jobs its matrix has', () => {
      const result = normalize(fixture('build.broken.json'));
      assert.equal(result.type === 'events' && result.events.length, 1);
      const event = normalizeOne(fixture('build.broken.json'));
      assert.equal(event.status, 'failure');
      assert.equal(event.providerStatus, 'Broken');
      assert.equal(event.pipeline.number, 732);
      // Wall-clock time, not `duration` (690 s, the jobs' time added up).
      assert.equal(event.durationMs, 431_000);
    });

    it('Still Failing keeps its words', () => {
      const event = normalizeOne(fixture('build.still-failing.json'));
      assert.equal(event.status, 'failure');
      assert.equal(event.providerStatus, 'Still Failing');
    });

    it('a restarted build: same id and number, run again, Fixed', () => {
      const broken = normalizeOne(fixture('build.broken.json'));
      const restarted = normalizeOne(fixture('build.restarted-fixed.json'));
      assert.equal(restarted.status, 'success');
      assert.equal(restarted.providerStatus, 'Fixed');
      assert.equal(restarted.pipeline.id, broken.pipeline.id);
      assert.equal(restarted.pipeline.number, broken.pipeline.number);
      assert.equal(restarted.startedAt, '2024-05-14T10:30:02.000Z');
    });

    it('Pending while started: running, not finished', () => {
      const event = normalizeOne(fixture('build.started-pending.json'));
      assert.equal(event.status, 'running');
      assert.equal(event.providerStatus, 'Pending');
      assert.equal(event.finishedAt, undefined);
      assert.equal(event.durationMs, undefined);
    });

    it('a canceled pull request build: the pull request and its head commit', () => {
      const event = normalizeOne(fixture('build.pull-request-canceled.json'));
      assert.equal(event.status, 'cancelled');
      assert.equal(event.providerStatus, 'Canceled');
      assert.deepEqual(event.pullRequest, {
        number: 1287,
        url: 'https://github.com/acme-corp/web-shop/pull/1287',
      });
      assert.equal(event.commit.sha, '2e8b5c1f0a9d7e6c3b4a5f8e9d0c1b2a3f4e5d6c');
    });

    it('an errored cron build', () => {
      const event = normalizeOne(fixture('build.cron-errored.json'));
      assert.equal(event.status, 'error');
      assert.equal(event.providerStatus, 'Errored');
      assert.equal(event.pullRequest, undefined);
    });

    it('a tag build names the tag, not a branch', () => {
      let payload = withField(fixture('build.passed.json'), 'tag', 'v2.4.0');
      payload = withField(payload, 'branch', 'v2.4.0');
      const event = normalizeOne(payload);
      assert.equal(event.tag, 'v2.4.0');
      assert.equal(event.branch, undefined);
    });

    it('leaves the repository URL out when Travis CI sends none, and links no pull request then', () => {
      const payload = withField(fixture('build.pull-request-canceled.json'), 'repository.url', null);
      const event = normalizeOne(payload);
      assert.deepEqual(event.repository, { name: 'acme-corp/web-shop' });
      assert.deepEqual(event.pullRequest, { number: 1287 });
    });

    it('falls back to the Travis-Repo-Slug header for the repository name', () => {
      const payload = withField(fixture('build.passed.json'), 'repository.owner_name', undefined);
      const result = normalize(payload, { 'travis-repo-slug': 'acme-corp/web-shop' });
      assert.equal(result.type === 'events' && result.events[0]?.repository.name, 'acme-corp/web-shop');
    });

    it('uses duration when the build has no start time', () => {
      const payload = withField(fixture('build.passed.json'), 'started_at', null);
      assert.equal(normalizeOne(payload).durationMs, 222_000);
    });

    it('throws a PayloadError naming a missing required field', () => {
      for (const field of ['id', 'commit', 'state', 'repository.owner_name']) {
        let payload = withField(fixture('build.passed.json'), field, undefined);
        if (field === 'state') {
          payload = withField(payload, 'status_message', undefined);
          payload = withField(payload, 'result_message', undefined);
        }
        assertPayloadError(() => normalize(payload), field);
      }
    });
  });

  describe('status mapping', () => {
    const messages: [string, string][] = [
      ['Pending', 'running'],
      ['Passed', 'success'],
      ['Fixed', 'success'],
      ['Broken', 'failure'],
      ['Failed', 'failure'],
      ['Still Failing', 'failure'],
      ['Canceled', 'cancelled'],
      ['Errored', 'error'],
    ];
    for (const [message, expected] of messages) {
      it(`status_message ${message} -> ${expected}`, () => {
        let payload = withField(fixture('build.passed.json'), 'state', undefined);
        payload = withField(payload, 'status_message', message);
        const event = normalizeOne(payload);
        assert.equal(event.status, expected);
        assert.equal(event.providerStatus, message);
      });
    }

    const states: [string, string][] = [
      ['created', 'queued'],
      ['received', 'queued'],
      ['started', 'running'],
      ['passed', 'success'],
      ['failed', 'failure'],
      ['errored', 'error'],
      ['canceled', 'cancelled'],
    ];
    for (const [state, expected] of states) {
      it(`state ${state} -> ${expected}, worded by status_message`, () => {
        const payload = withField(fixture('build.started-pending.json'), 'state', state);
        const event = normalizeOne(payload);
        assert.equal(event.status, expected);
        assert.equal(event.providerStatus, 'Pending');
      });
    }

    it('the tables hold exactly the values tested above', () => {
      assert.deepEqual([...travisStatusMessages.keys()].sort(), messages.map(([m]) => m).sort());
      assert.deepEqual([...travisStates.keys()].sort(), states.map(([s]) => s).sort());
    });

    it('words the status by the state when there is no message', () => {
      let payload = withField(fixture('build.passed.json'), 'status_message', undefined);
      payload = withField(payload, 'result_message', undefined);
      assert.equal(normalizeOne(payload).providerStatus, 'passed');
    });

    it('throws a PayloadError on a state and message it does not know', () => {
      let payload = withField(fixture('build.passed.json'), 'state', 'hibernating');
      payload = withField(payload, 'status_message', 'Hibernating');
      assertPayloadError(() => normalize(payload), 'state');
    });
  });
});

import assert from 'node:assert/strict';
import type { SourceConfig } from '../../../src/config/source-config-schema';
import type { CiEventBody } from '../../../src/event/ci-event-schema';
import {
  azureDevopsProvider,
  azureDevopsResults,
  azureDevopsStates,
} from '../../../src/providers/azure-devops';
import type { NormalizeResult } from '../../../src/providers/provider';
import { assertPayloadError, onlyValidEvent, withField } from '../../helpers/provider-test-kit';
import { fixtureJson, request, type Json } from '../../helpers/provider-test-kit';

const fixture = (name: string): Json => fixtureJson('azure-devops', name);

function normalize(payload: unknown): NormalizeResult {
  return azureDevopsProvider.normalize(request({}), payload);
}

/** Normalizes a payload that must give exactly one event, and checks that event against the CiEvent schema. */
function normalizeOne(payload: unknown): CiEventBody {
  return onlyValidEvent(normalize(payload), {
    source: 'azure',
    provider: 'azure-devops',
    deliveryId: 'd',
    receivedAt: '2024-09-17T09:00:00.000Z',
  });
}

const basicAuth = { username: 'ci-relay', password: 'pa55-azure-hook' };
const headerValue = 'relay-key-0c41d7';
const basic = (username: string, password: string) =>
  `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
const source = (keys: Pick<SourceConfig, 'basicAuth' | 'requiredHeaders'>): SourceConfig => ({
  id: 'azure',
  provider: 'azure-devops',
  ...keys,
});

describe('azureDevopsProvider', () => {
  describe('verify: basic authentication', () => {
    const only = source({ basicAuth });

    it('accepts the configured username and password', () => {
      const req = request({ authorization: basic('ci-relay', 'pa55-azure-hook') });
      assert.equal(azureDevopsProvider.verify(req, only, 0), undefined);
    });

    it('rejects a wrong username or password as bad_signature', () => {
      for (const header of [
        basic('ci-relay', 'pa55-azure-hooK'),
        basic('ci-relay2', 'pa55-azure-hook'),
        'Bearer pa55-azure-hook',
        'Basic !!!',
      ]) {
        assert.equal(
          azureDevopsProvider.verify(request({ authorization: header }), only, 0)?.code,
          'bad_signature',
          header,
        );
      }
    });

    it('rejects a missing Authorization header as missing_signature', () => {
      assert.equal(azureDevopsProvider.verify(request({}), only, 0)?.code, 'missing_signature');
    });
  });

  describe('verify: required headers', () => {
    const only = source({ requiredHeaders: { 'X-Relay-Key': headerValue, 'X-Team': 'storefront' } });

    it('accepts every configured header with its exact value, whatever the case of its name', () => {
      const req = request({ 'x-relay-key': headerValue, 'x-team': 'storefront' });
      assert.equal(azureDevopsProvider.verify(req, only, 0), undefined);
    });

    it('rejects a header with another value as bad_signature', () => {
      for (const value of ['relay-key-0c41d8', `${headerValue} `, 'RELAY-KEY-0C41D7']) {
        const req = request({ 'x-relay-key': value, 'x-team': 'storefront' });
        assert.equal(azureDevopsProvider.verify(req, only, 0)?.code, 'bad_signature', value);
      }
    });

    it('rejects a request missing one of them as missing_signature', () => {
      assert.equal(
        azureDevopsProvider.verify(request({ 'x-team': 'storefront' }), only, 0)?.code,
        'missing_signature',
      );
      assert.equal(azureDevopsProvider.verify(request({}), only, 0)?.code, 'missing_signature');
    });
  });

  describe('verify: both together', () => {
    const both = source({ basicAuth, requiredHeaders: { 'X-Relay-Key': headerValue } });
    const auth = basic('ci-relay', 'pa55-azure-hook');

    it('accepts a request that passes both', () => {
      assert.equal(
        azureDevopsProvider.verify(request({ authorization: auth, 'x-relay-key': headerValue }), both, 0),
        undefined,
      );
    });

    it('requires both', () => {
      assert.equal(
        azureDevopsProvider.verify(request({ authorization: auth }), both, 0)?.code,
        'missing_signature',
      );
      assert.equal(
        azureDevopsProvider.verify(request({ 'x-relay-key': headerValue }), both, 0)?.code,
        'missing_signature',
      );
    });

    it('reports a wrong credential as bad_signature even when the other is absent', () => {
      const wrong = request({ authorization: basic('ci-relay', 'guess') });
      assert.equal(azureDevopsProvider.verify(wrong, both, 0)?.code, 'bad_signature');
      const wrongHeader = request({ authorization: auth, 'x-relay-key': 'guess' });
      assert.equal(azureDevopsProvider.verify(wrongHeader, both, 0)?.code, 'bad_signature');
    });

    it('fails closed when the source has no credentials', () => {
      assert.equal(
        azureDevopsProvider.verify(request({ authorization: auth }), source({}), 0)?.code,
        'bad_signature',
      );
    });

    it('never puts a secret in its messages', () => {
      const cases = [
        {},
        { authorization: basic('ci-relay', 'x'), 'x-relay-key': 'x' },
        { authorization: auth },
      ];
      for (const headers of cases) {
        const failure = azureDevopsProvider.verify(request(headers), both, 0);
        assert.ok(failure);
        assert.ok(!failure.message.includes(basicAuth.password));
        assert.ok(!failure.message.includes(headerValue));
      }
    });
  });

  describe('deliveryId', () => {
    it("is the body's event id", () => {
      const payload = fixture('build.complete.succeeded.json');
      assert.equal(
        azureDevopsProvider.deliveryId(request({}), payload),
        '9d1e2f3a-4b5c-4d6e-8f70-81a2b3c4d5e6',
      );
    });

    it('leaves it to the body digest when the id is missing or the all-zero id of sample notifications', () => {
      const payload = fixture('build.complete.succeeded.json');
      assert.equal(
        azureDevopsProvider.deliveryId(request({}), withField(payload, 'id', undefined)),
        undefined,
      );
      const zero = withField(payload, 'id', '00000000-0000-0000-0000-000000000000');
      assert.equal(azureDevopsProvider.deliveryId(request({}), zero), undefined);
    });
  });

  describe('normalize build.complete', () => {
    it('succeeded', () => {
      assert.deepEqual(normalizeOne(fixture('build.complete.succeeded.json')), {
        kind: 'pipeline',
        status: 'success',
        providerStatus: 'completed/succeeded',
        repository: {
          name: 'Storefront/web-shop',
          url: 'https://dev.azure.com/contoso-eng/Storefront/_git/web-shop',
        },
        branch: 'main',
        commit: {
          sha: '7e6d5c4b3a2f1e0d9c8b7a6f5e4d3c2b1a0f9e8d',
          url: 'https://dev.azure.com/contoso-eng/Storefront/_git/web-shop/commit/7e6d5c4b3a2f1e0d9c8b7a6f5e4d3c2b1a0f9e8d',
        },
        pipeline: {
          id: '4711',
          name: 'storefront-ci',
          url: 'https://dev.azure.com/contoso-eng/6f1c2b3a-4d5e-4f60-8a7b-9c0d1e2f3a4b/_build/results?buildId=4711',
        },
        actor: { login: 'lena.park@contoso.example', name: 'Lena Park', email: 'lena.park@contoso.example' },
        createdAt: '2024-09-16T10:02:04.118Z',
        startedAt: '2024-09-16T10:02:11.493Z',
        finishedAt: '2024-09-16T10:09:52.204Z',
        durationMs: 460_711,
      });
    });

    it('failed pull request build of a GitHub repository', () => {
      const event = normalizeOne(fixture('build.complete.failed.json'));
      assert.equal(event.status, 'failure');
      assert.equal(event.providerStatus, 'completed/failed');
      assert.deepEqual(event.repository, {
        name: 'contoso/web-shop',
        url: 'https://github.com/contoso/web-shop',
      });
      assert.deepEqual(event.pullRequest, { number: 17 });
      assert.equal(event.branch, 'feature/gift-cards');
      assert.equal(
        event.commit.url,
        'https://github.com/contoso/web-shop/commit/c0ffee0123456789abcdef0123456789abcdef01',
      );
    });

    it('canceled', () => {
      const event = normalizeOne(fixture('build.complete.canceled.json'));
      assert.equal(event.status, 'cancelled');
      assert.equal(event.providerStatus, 'completed/canceled');
      assert.equal(event.durationMs, 70_000);
    });

    it('partiallySucceeded: a success whose words keep the warning', () => {
      const event = normalizeOne(fixture('build.complete.partially-succeeded.json'));
      assert.equal(event.status, 'success');
      assert.equal(event.providerStatus, 'completed/partiallySucceeded');
    });

    it('XAML build (resource version 1.0): result in status, source in sourceGetVersion', () => {
      const event = normalizeOne(fixture('build.complete.xaml.json'));
      assert.equal(event.status, 'failure');
      assert.equal(event.providerStatus, 'failed');
      assert.equal(event.branch, 'release/3.x');
      assert.equal(event.commit.sha, '0badc0de1234567890abcdef1234567890abcdef');
      assert.equal(event.pipeline.name, 'LegacyImporter');
      // No repository and no project name: the project id stands in, stable across builds.
      assert.deepEqual(event.repository, { name: '6f1c2b3a-4d5e-4f60-8a7b-9c0d1e2f3a4b' });
      assert.deepEqual(event.actor, {
        login: 'lena.park@contoso.example',
        name: 'Lena Park',
        email: 'lena.park@contoso.example',
      });
      assert.equal(
        event.pipeline.url,
        'https://dev.azure.com/contoso-eng/DefaultCollection/6f1c2b3a-4d5e-4f60-8a7b-9c0d1e2f3a4b/_build/results?buildId=381',
      );
    });

    it('sets the number only when the build number is a plain number', () => {
      const payload = withField(fixture('build.complete.succeeded.json'), 'resource.buildNumber', '1042');
      assert.equal(normalizeOne(payload).pipeline.number, 1042);
      assert.equal(normalizeOne(fixture('build.complete.succeeded.json')).pipeline.number, undefined);
    });

    it('gives no email for an identity whose unique name is not an address', () => {
      const payload = withField(
        fixture('build.complete.succeeded.json'),
        'resource.requestedFor.uniqueName',
        'CONTOSO\\build-agent',
      );
      assert.deepEqual(normalizeOne(payload).actor, { login: 'CONTOSO\\build-agent', name: 'Lena Park' });
    });

    it('recognizes a tag build', () => {
      const payload = withField(
        fixture('build.complete.succeeded.json'),
        'resource.sourceBranch',
        'refs/tags/v5.0.1',
      );
      const event = normalizeOne(payload);
      assert.equal(event.tag, 'v5.0.1');
      assert.equal(event.branch, undefined);
    });

    it('throws a PayloadError naming a missing required field', () => {
      for (const field of ['resource.id', 'resource.status', 'resource.sourceVersion']) {
        assertPayloadError(
          () => normalize(withField(fixture('build.complete.succeeded.json'), field, undefined)),
          field,
        );
      }
      assertPayloadError(
        () => normalize(withField(fixture('build.complete.succeeded.json'), 'eventType', undefined)),
        'eventType',
      );
    });
  });

  describe('normalize pipeline run and job state changes', () => {
    it('run in progress', () => {
      assert.deepEqual(normalizeOne(fixture('run-state-changed.in-progress.json')), {
        kind: 'pipeline',
        status: 'running',
        providerStatus: 'inProgress',
        repository: { name: '8b7a6f5e-4d3c-4b2a-9f1e-0d9c8b7a6f5e' },
        branch: 'main',
        commit: { sha: '7e6d5c4b3a2f1e0d9c8b7a6f5e4d3c2b1a0f9e8d' },
        pipeline: {
          id: '4731',
          name: 'storefront-ci',
          url: 'https://dev.azure.com/contoso-eng/6f1c2b3a-4d5e-4f60-8a7b-9c0d1e2f3a4b/_build/results?buildId=4731',
        },
        createdAt: '2024-09-17T08:00:03.217Z',
      });
    });

    it('run completed with a failure keeps the same pipeline id', () => {
      const started = normalizeOne(fixture('run-state-changed.in-progress.json'));
      const ended = normalizeOne(fixture('run-state-changed.failed.json'));
      assert.equal(ended.status, 'failure');
      assert.equal(ended.providerStatus, 'completed/failed');
      assert.equal(ended.pipeline.id, started.pipeline.id);
      assert.equal(ended.finishedAt, '2024-09-17T08:07:41.662Z');
    });

    it('job failed: a job of the run, with its stage', () => {
      const event = normalizeOne(fixture('job-state-changed.failed.json'));
      assert.equal(event.kind, 'job');
      assert.equal(event.status, 'failure');
      assert.deepEqual(event.job, {
        id: '2d7c1b4e-9f3a-5e6d-8c0b-a1f2e3d4c5b6',
        name: 'Integration tests',
        url: 'https://dev.azure.com/contoso-eng/6f1c2b3a-4d5e-4f60-8a7b-9c0d1e2f3a4b/_build/results?buildId=4731',
        stage: 'Test',
      });
      assert.equal(event.pipeline.id, normalizeOne(fixture('run-state-changed.failed.json')).pipeline.id);
      assert.equal(event.durationMs, 266_570);
    });

    it('leaves out the implicit __default stage', () => {
      let payload = withField(fixture('job-state-changed.failed.json'), 'resource.stage.name', '__default');
      payload = withField(payload, 'resource.stage.displayName', null);
      assert.equal(normalizeOne(payload).job?.stage, undefined);
    });

    it('names a GitHub repository of a run by its full name', () => {
      const payload = withField(
        fixture('run-state-changed.failed.json'),
        'resource.run.resources.repositories.self.repository',
        {
          fullName: 'contoso/web-shop',
          type: 'gitHub',
        },
      );
      assert.equal(normalizeOne(payload).repository.name, 'contoso/web-shop');
    });

    it('throws a PayloadError naming a missing required field', () => {
      for (const field of [
        'resource.run.id',
        'resource.run.state',
        'resource.run.resources.repositories.self.version',
      ]) {
        assertPayloadError(
          () => normalize(withField(fixture('run-state-changed.failed.json'), field, undefined)),
          field,
        );
      }
      for (const field of ['resource.job.id', 'resource.job.name', 'resource.job.state']) {
        assertPayloadError(
          () => normalize(withField(fixture('job-state-changed.failed.json'), field, undefined)),
          field,
        );
      }
    });
  });

  describe('status mapping', () => {
    const states: [state: string, expected: string][] = [
      ['notStarted', 'queued'],
      ['postponed', 'queued'],
      ['none', 'queued'],
      ['pending', 'queued'],
      ['waiting', 'queued'],
      ['inProgress', 'running'],
      ['running', 'running'],
      ['cancelling', 'running'],
      ['canceling', 'running'],
      ['unknown', 'error'],
    ];
    const results: [result: string, expected: string][] = [
      ['succeeded', 'success'],
      ['partiallySucceeded', 'success'],
      ['succeededWithIssues', 'success'],
      ['failed', 'failure'],
      ['canceled', 'cancelled'],
      ['stopped', 'cancelled'],
      ['skipped', 'skipped'],
      ['rejected', 'cancelled'],
      ['abandoned', 'error'],
      ['none', 'error'],
      ['unknown', 'error'],
    ];

    it('covers every value in the exported tables', () => {
      assert.deepEqual(new Map(states.map(([s, e]) => [s.toLowerCase(), e])), azureDevopsStates);
      assert.deepEqual(new Map(results.map(([r, e]) => [r.toLowerCase(), e])), azureDevopsResults);
    });

    for (const [state, expected] of states) {
      it(`build status ${state} -> ${expected}`, () => {
        let payload = withField(fixture('build.complete.succeeded.json'), 'resource.status', state);
        payload = withField(payload, 'resource.result', undefined);
        const event = normalizeOne(payload);
        assert.equal(event.status, expected);
        assert.equal(event.providerStatus, state);
      });
    }

    for (const [result, expected] of results) {
      it(`build completed/${result} -> ${expected}`, () => {
        const event = normalizeOne(
          withField(fixture('build.complete.succeeded.json'), 'resource.result', result),
        );
        assert.equal(event.status, expected);
        assert.equal(event.providerStatus, `completed/${result}`);
      });

      it(`job completed/${result} -> ${expected}`, () => {
        const event = normalizeOne(
          withField(fixture('job-state-changed.failed.json'), 'resource.job.result', result),
        );
        assert.equal(event.status, expected);
      });
    }

    it('reads a XAML build whose status holds the result', () => {
      for (const [status, expected] of [
        ['Succeeded', 'success'],
        ['PartiallySucceeded', 'success'],
        ['Failed', 'failure'],
        ['Stopped', 'cancelled'],
        ['InProgress', 'running'],
      ]) {
        const event = normalizeOne(withField(fixture('build.complete.xaml.json'), 'resource.status', status));
        assert.equal(event.status, expected, status);
        assert.equal(event.providerStatus, status);
      }
    });

    it('calls a completed build with no or an unknown result an error', () => {
      const none = normalizeOne(
        withField(fixture('build.complete.succeeded.json'), 'resource.result', undefined),
      );
      assert.deepEqual([none.status, none.providerStatus], ['error', 'completed']);
      const odd = normalizeOne(
        withField(fixture('build.complete.succeeded.json'), 'resource.result', 'vanished'),
      );
      assert.deepEqual([odd.status, odd.providerStatus], ['error', 'completed/vanished']);
    });

    it('throws a PayloadError on an unknown state', () => {
      const payload = withField(fixture('build.complete.succeeded.json'), 'resource.status', 'hovering');
      assertPayloadError(() => normalize(payload), 'resource.status');
    });
  });

  describe('other events', () => {
    it('ignores stage state changes, saying why', () => {
      const result = normalize(fixture('stage-state-changed.json'));
      assert.equal(result.type, 'ignored');
    });

    it('ignores a push, saying why', () => {
      assert.deepEqual(normalize(fixture('git.push.json')), {
        type: 'ignored',
        reason: 'Azure DevOps event "git.push" is not a CI status event',
      });
    });
  });
});

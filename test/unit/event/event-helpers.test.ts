import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { attemptOf } from '../../../src/event/attempt-of';
import { ciStatuses } from '../../../src/event/ci-event-schema';
import { finishedStatuses, isFinished } from '../../../src/event/finished-statuses';
import { runDigest, runKey, seriesKey } from '../../../src/event/run-identity';
import { sampleEvent } from '../../helpers/sample-event';

const sha = (parts: string[]) => createHash('sha256').update(parts.join('\n')).digest();

describe('event helpers', () => {
  it('runKey: one run (source, repository, run id), the same for its jobs and re-runs; keys stay as they were', () => {
    const run = sampleEvent();
    const job = sampleEvent({ kind: 'job', job: { id: '7', name: 'test' } });
    const rerun = sampleEvent({ pipeline: { ...run.pipeline, attempt: 2 } });
    const expected = sha([run.source, run.repository.name, run.pipeline.id]);
    assert.deepEqual(runDigest(run), expected);
    assert.equal(runKey(run), expected.toString('base64url'));
    assert.equal(runKey(job), runKey(run));
    assert.equal(runKey(rerun), runKey(run));
    assert.notEqual(runKey(sampleEvent({ source: 'other' })), runKey(run));
  });

  it('seriesKey: (provider, repository, pipeline name, branch or tag), across runs', () => {
    const a = sampleEvent();
    const b = sampleEvent({ pipeline: { ...a.pipeline, id: 'another-run', number: 1235 } });
    assert.equal(seriesKey(a), seriesKey(b));
    assert.equal(
      seriesKey(a),
      sha([a.provider, a.repository.name, a.pipeline.name, 'main']).toString('base64url'),
    );
    assert.notEqual(seriesKey(sampleEvent({ branch: 'dev' })), seriesKey(a));
    const { branch: _branch, ...tagged } = sampleEvent({ tag: 'v1' });
    void _branch;
    assert.equal(
      seriesKey(tagged),
      sha([a.provider, a.repository.name, a.pipeline.name, 'v1']).toString('base64url'),
    );
  });

  it('attemptOf: the attempt, 1 when the provider does not say', () => {
    const event = sampleEvent();
    assert.equal(attemptOf(event), 1);
    assert.equal(attemptOf(sampleEvent({ pipeline: { ...event.pipeline, attempt: 3 } })), 3);
    const { attempt: _attempt, ...pipeline } = event.pipeline;
    void _attempt;
    assert.equal(attemptOf(sampleEvent({ pipeline })), 1);
  });

  it('finished statuses: success, failure, cancelled, skipped, error', () => {
    assert.deepEqual(
      ciStatuses.filter((s) => isFinished(s)),
      ['success', 'failure', 'cancelled', 'skipped', 'error'],
    );
    assert.equal(finishedStatuses.size, 5);
  });
});

import assert from 'node:assert/strict';
import type { CiStatus } from '../../../src/event/ci-event-schema';
import { toCloudEvent } from '../../../sinks/http/to-cloud-event';
import { sampleEvent } from '../../helpers/sample-event';

const sentAt = new Date('2025-03-01T12:00:07.250Z');
type Data = {
  context: Record<string, string>;
  subject: { id: string; type: string; content: Record<string, unknown> };
};

function cloudEvent(kind: 'pipeline' | 'job', status: CiStatus) {
  const event = sampleEvent({
    kind,
    status,
    providerStatus: `completed/${status}`,
    ...(kind === 'job' && {
      job: { id: '77', name: 'lint', url: 'https://github.com/acme/web/actions/runs/9/job/77' },
    }),
  });
  const ce = toCloudEvent({ id: 'msg_1', route: 'r', event }, sentAt);
  return { ce, data: ce.data as Data };
}

describe('toCloudEvent (CDEvents 0.4.1 in a CloudEvent)', () => {
  const table: Array<['pipeline' | 'job', CiStatus, string, string | undefined]> = [
    ['pipeline', 'queued', 'dev.cdevents.pipelinerun.queued.0.2.0', undefined],
    ['pipeline', 'waiting', 'dev.cdevents.pipelinerun.queued.0.2.0', undefined],
    ['pipeline', 'running', 'dev.cdevents.pipelinerun.started.0.2.0', undefined],
    ['pipeline', 'success', 'dev.cdevents.pipelinerun.finished.0.2.0', 'success'],
    ['pipeline', 'failure', 'dev.cdevents.pipelinerun.finished.0.2.0', 'failure'],
    ['pipeline', 'error', 'dev.cdevents.pipelinerun.finished.0.2.0', 'error'],
    ['pipeline', 'cancelled', 'dev.cdevents.pipelinerun.finished.0.2.0', 'error'],
    ['pipeline', 'skipped', 'dev.cdevents.pipelinerun.finished.0.2.0', 'error'],
    ['job', 'queued', 'dev.cdevents.taskrun.started.0.2.0', undefined],
    ['job', 'running', 'dev.cdevents.taskrun.started.0.2.0', undefined],
    ['job', 'success', 'dev.cdevents.taskrun.finished.0.2.0', 'success'],
    ['job', 'failure', 'dev.cdevents.taskrun.finished.0.2.0', 'failure'],
  ];
  for (const [kind, status, type, outcome] of table) {
    it(`${kind} ${status} -> ${type}${outcome ? ` (${outcome})` : ''}`, () => {
      const { ce, data } = cloudEvent(kind, status);
      assert.equal(ce.type, type);
      assert.equal(data.context.type, type);
      assert.equal(data.subject.content.outcome, outcome);
      if (outcome === undefined) assert.equal(data.subject.content.errors, undefined);
      if (outcome !== undefined && status !== 'success')
        assert.match(
          String(data.subject.content.errors),
          new RegExp(status === 'error' ? 'errored' : status === 'failure' ? 'failed' : status),
        );
    });
  }

  it('is a CloudEvents 1.0 envelope whose id is the notification id', () => {
    const { ce, data } = cloudEvent('pipeline', 'failure');
    assert.equal(ce.specversion, '1.0');
    assert.equal(ce.id, 'msg_1');
    assert.equal(ce.source, 'https://github.com/acme/web');
    assert.equal(ce.time, sentAt.toISOString());
    assert.equal(ce.datacontenttype, 'application/json');
    assert.deepEqual(data.context, {
      version: '0.4.1',
      id: 'msg_1',
      source: 'https://github.com/acme/web',
      type: 'dev.cdevents.pipelinerun.finished.0.2.0',
      timestamp: '2024-05-01T12:00:00Z',
    });
    assert.equal(data.subject.type, 'pipelineRun');
    assert.equal(data.subject.id, 'github/acme/web/9012345678');
    assert.equal(data.subject.content.pipelineName, 'CI');
    assert.equal(data.subject.content.url, 'https://github.com/acme/web/actions/runs/9012345678');
  });

  it('links a taskRun to its pipelineRun', () => {
    const { data } = cloudEvent('job', 'failure');
    assert.equal(data.subject.type, 'taskRun');
    assert.equal(data.subject.id, 'github/acme/web/9012345678/77');
    assert.equal(data.subject.content.taskName, 'lint');
    assert.deepEqual(data.subject.content.pipelineRun, {
      id: 'github/acme/web/9012345678',
      source: 'https://github.com/acme/web',
    });
  });
});

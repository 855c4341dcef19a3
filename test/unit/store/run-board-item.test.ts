import assert from 'node:assert/strict';
import type { CiEvent } from '../../../src/event/ci-event-schema';
import { nextRunItem, toRunItem, type StoredRunItem } from '../../../src/store/run-board-item';
import { sampleEvent } from '../../helpers/sample-event';

const at = (second: number) => new Date(Date.UTC(2026, 10, 30, 12, 0, second)).toISOString();
const run = (over: Partial<CiEvent> = {}) => sampleEvent({ receivedAt: at(0), ...over });
const job = (
  name: string,
  id: string,
  status: CiEvent['status'],
  second: number,
  over: Partial<CiEvent> = {},
) =>
  sampleEvent({
    kind: 'job',
    status,
    job: { id, name },
    receivedAt: at(second),
    createdAt: at(second),
    ...over,
  });

/** Applies events in order, as the board does. */
function apply(...events: CiEvent[]): StoredRunItem | undefined {
  let item: StoredRunItem | undefined;
  for (const event of events) item = nextRunItem('series', item, event) ?? item;
  return item;
}

describe('run board line (nextRunItem)', () => {
  it('starts a line from a pipeline event and keeps its facts', () => {
    const item = toRunItem(apply(run({ transition: 'broken' })) as StoredRunItem);
    assert.equal(item.status, 'failure');
    assert.equal(item.transition, 'broken');
    assert.equal(item.number, 1234);
    assert.equal(item.durationMs, 290_000);
    assert.deepEqual(item.jobs, []);
  });

  it('a late "running" does not undo "failure"', () => {
    const item = apply(
      run({ status: 'failure', receivedAt: at(5) }),
      run({ status: 'running', receivedAt: at(6) }),
    );
    assert.equal(item?.status, 'failure');
  });

  it('a retried job (new id, same name) replaces the failed one; jobs that passed stay', () => {
    const item = apply(
      job('build', '1', 'success', 1),
      job('test', '2', 'failure', 2),
      job('test', '3', 'running', 10),
      job('test', '3', 'success', 20),
    );
    assert.deepEqual(
      toRunItem(item as StoredRunItem).jobs.map((j) => [j.name, j.id, j.status]),
      [
        ['build', '1', 'success'],
        ['test', '3', 'success'],
      ],
    );
  });

  it('a late event of the earlier job does not replace its retry', () => {
    const item = apply(job('test', '3', 'success', 20), job('test', '2', 'failure', 2));
    assert.equal(item?.jobs.test?.id, '3');
  });

  it('a re-run (attempt 2) of one job keeps the others and puts the run back under way', () => {
    const second = (e: CiEvent) => ({ ...e, pipeline: { ...e.pipeline, attempt: 2 } });
    const item = apply(
      job('build', '1', 'success', 1),
      job('test', '2', 'failure', 2),
      run({ status: 'failure', receivedAt: at(3), transition: 'broken' }),
      second(job('test', '2', 'running', 30)),
    );
    assert.equal(item?.status, 'running');
    assert.equal(item?.transition, undefined);
    assert.equal(item?.attempt, 2);
    assert.deepEqual(Object.keys(item?.jobs ?? {}).sort(), ['build', 'test']);
  });

  it('a newer run replaces the line; an event of an older run changes nothing', () => {
    const newer = run({
      pipeline: { id: 'b', name: 'CI', number: 1235 },
      status: 'success',
      receivedAt: at(9),
    });
    const older = job('lint', '9', 'failure', 10, { pipeline: { id: 'a', name: 'CI', number: 1234 } });
    const item = apply(
      run({ pipeline: { id: 'a', name: 'CI', number: 1234 } }),
      job('lint', '9', 'running', 1),
      newer,
    );
    assert.equal(item?.runId, 'b');
    assert.deepEqual(item?.jobs, {});
    assert.equal(nextRunItem('series', item, older), undefined);
  });
});

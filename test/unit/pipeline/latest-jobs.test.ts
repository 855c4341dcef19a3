import assert from 'node:assert/strict';
import type { CiEvent } from '../../../src/event/ci-event-schema';
import { latestJobsByName } from '../../../src/event/latest-jobs';
import { runView } from '../../../sinks/template/run-view';
import { failedJobsOf } from '../../../sinks/email/render-email';
import { sampleEvent } from '../../helpers/sample-event';

/** A job event: `name`, `id`, attempt, status, and when it arrived (seconds after 12:00). */
function job(name: string, id: string, attempt: number, status: CiEvent['status'], at: number): CiEvent {
  return sampleEvent({
    id: `${name}-${id}-${attempt}-${status}`,
    kind: 'job',
    status,
    job: { id, name },
    pipeline: { id: 'p1', name: 'CI', attempt },
    receivedAt: new Date(Date.UTC(2024, 4, 1, 12, 0, at)).toISOString(),
  });
}

const view = (jobs: CiEvent[], pipeline?: CiEvent) =>
  runView(
    { version: jobs.length, pipeline, jobs: latestJobsByName(jobs) },
    pipeline ?? jobs.at(-1) ?? sampleEvent(),
  );
const shown = (jobs: CiEvent[], pipeline?: CiEvent) =>
  view(jobs, pipeline)
    .jobs.map((j) => `${j.job?.name}:${j.status}`)
    .sort();

describe('the job view of a run (retries, partial re-runs, out of order)', () => {
  const cases: Array<{ name: string; jobs: CiEvent[]; pipeline?: CiEvent; expected: string[] }> = [
    {
      name: 'GitHub attempt 2 re-runs only the failed job: the jobs that passed on attempt 1 stay',
      jobs: [
        job('build', '1', 1, 'success', 1),
        job('lint', '2', 1, 'success', 2),
        job('test', '3', 1, 'failure', 3),
        job('test', '4', 2, 'success', 10),
      ],
      pipeline: sampleEvent({ status: 'success', pipeline: { id: 'p1', name: 'CI', attempt: 2 } }),
      expected: ['build:success', 'lint:success', 'test:success'],
    },
    {
      name: 'GitHub attempt 2 still running the re-run job: the old failure is hidden, the re-run shows',
      jobs: [
        job('build', '1', 1, 'success', 1),
        job('test', '3', 1, 'failure', 3),
        job('test', '4', 2, 'running', 10),
      ],
      expected: ['build:success', 'test:running'],
    },
    {
      name: 'GitLab retried job (new, larger id, same attempt) replaces the failed one',
      jobs: [
        job('rspec', '100', 1, 'failure', 1),
        job('rspec', '101', 1, 'success', 5),
        job('lint', '99', 1, 'success', 1),
      ],
      expected: ['lint:success', 'rspec:success'],
    },
    {
      name: "out of order: the retry's success arrives before the old failure",
      jobs: [job('rspec', '101', 1, 'success', 1), job('rspec', '100', 1, 'failure', 5)],
      expected: ['rspec:success'],
    },
    {
      name: 'out of order across attempts: a late attempt-1 failure does not undo attempt 2',
      jobs: [job('test', '4', 2, 'success', 1), job('test', '3', 1, 'failure', 9)],
      expected: ['test:success'],
    },
    {
      name: 'one job: a late running does not undo failed',
      jobs: [job('test', '3', 1, 'failure', 1), job('test', '3', 1, 'running', 9)],
      expected: ['test:failure'],
    },
  ];
  for (const c of cases)
    it(c.name, () => {
      assert.deepEqual(shown(c.jobs, c.pipeline), c.expected);
    });

  it('the mail of a GitLab pipeline whose failed job was retried and passed lists no failed job', () => {
    const pipeline = sampleEvent({ status: 'success', pipeline: { id: 'p1', name: 'CI', attempt: 1 } });
    const jobs = latestJobsByName([
      job('rspec', '100', 1, 'failure', 1),
      job('rspec', '101', 1, 'success', 5),
    ]);
    assert.deepEqual(failedJobsOf(pipeline, { version: 2, pipeline, jobs }), []);
  });
});

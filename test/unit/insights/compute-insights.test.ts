import assert from 'node:assert/strict';
import type { CiEvent } from '../../../src/event/ci-event-schema';
import { computeInsights, durationOf, queueTimeOf } from '../../../src/insights/compute-insights';
import { sampleEvent } from '../../helpers/sample-event';

const now = Date.parse('2026-11-30T12:00:00Z');
const minutesAgo = (m: number) => new Date(now - m * 60_000).toISOString();

/** A finished pipeline event of run `run` received `ago` minutes before now. */
function run(
  run: string,
  status: CiEvent['status'],
  ago: number,
  durationMs?: number,
  extra: Partial<CiEvent> = {},
): CiEvent {
  const event = sampleEvent({
    id: `${run}-${status}-${ago}`,
    status,
    receivedAt: minutesAgo(ago),
    pipeline: { id: run, name: 'CI', number: Number(run.replace(/\D/g, '')) || 1, attempt: 1 },
    ...extra,
  });
  if (durationMs === undefined) delete event.durationMs;
  else event.durationMs = durationMs;
  return event;
}

/** A job event: job `name` (id `jobId`) of run `runId`, created and started at the given minutes ago. */
function job(
  runId: string,
  jobId: string,
  name: string,
  status: CiEvent['status'],
  ago: number,
  times: { created?: number; started?: number } = {},
): CiEvent {
  const event = sampleEvent({
    id: `${jobId}-${status}-${ago}`,
    kind: 'job',
    status,
    receivedAt: minutesAgo(ago),
    pipeline: { id: runId, name: 'CI', attempt: 1 },
    job: { id: jobId, name },
  });
  delete event.durationMs;
  delete event.createdAt;
  delete event.startedAt;
  delete event.finishedAt;
  if (times.created !== undefined) event.createdAt = minutesAgo(times.created);
  if (times.started !== undefined) event.startedAt = minutesAgo(times.started);
  return event;
}

/** Newest first, as the event store gives them. */
const newestFirst = (events: CiEvent[]) =>
  [...events].sort((a, b) => b.receivedAt.localeCompare(a.receivedAt));

describe('computeInsights', () => {
  it('counts each run once, by its latest state, and rates success over succeeded and failed runs', () => {
    const insights = computeInsights(
      newestFirst([
        run('r1', 'running', 50),
        run('r1', 'success', 40, 60_000),
        run('r2', 'failure', 30, 120_000),
        // r3 failed, then its attempt 1 was reported again as error: still one run
        run('r3', 'error', 20, 30_000),
        run('r3', 'failure', 21, 30_000),
        run('r4', 'cancelled', 10, 5_000),
        run('r5', 'success', 5, 240_000),
      ]),
      { window: '24h', now },
    );
    const t = insights.totals;
    assert.equal(t.runs, 5);
    assert.equal(t.succeeded, 2);
    assert.equal(t.failed, 2);
    assert.equal(t.cancelled, 1);
    assert.equal(t.successRate, 0.5);
    assert.equal(insights.events, 7);
  });

  it('takes p50 and p95 of run durations by nearest rank, leaving cancelled runs out', () => {
    const durations = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100].map((s) => s * 1000);
    const events = durations.map((d, i) => run(`r${i + 1}`, 'success', 100 - i, d));
    events.push(run('r99', 'cancelled', 1, 9_999_000));
    const { totals } = computeInsights(newestFirst(events), { window: '24h', now });
    assert.deepEqual(totals.durationMs, { p50: 50_000, p95: 100_000, count: 10 });
  });

  it('uses finishedAt - startedAt when an event has no durationMs', () => {
    const event = run('r1', 'success', 1, undefined, {
      startedAt: '2026-11-30T11:00:00Z',
      finishedAt: '2026-11-30T11:02:30Z',
    });
    assert.equal(durationOf(event), 150_000);
    assert.equal(computeInsights([event], { window: '24h', now }).totals.durationMs?.p50, 150_000);
  });

  it('measures queue time from created to started, once per job, and ignores events without both', () => {
    const events = newestFirst([
      job('r1', 'j1', 'build', 'queued', 60, { created: 60 }),
      job('r1', 'j1', 'build', 'running', 58, { created: 60, started: 58 }),
      job('r1', 'j1', 'build', 'success', 50, { created: 60, started: 58 }),
      job('r1', 'j2', 'test', 'running', 55, { created: 60, started: 55 }),
      job('r1', 'j3', 'lint', 'success', 54),
    ]);
    assert.equal(queueTimeOf(events[events.length - 1] as CiEvent), undefined);
    const { totals } = computeInsights(events, { window: '24h', now });
    // j1 waited 2 min, j2 waited 5 min
    assert.deepEqual(totals.queueMs, { p50: 120_000, p95: 300_000, count: 2 });
  });

  it('ranks the jobs that fail most, per group and in total', () => {
    const events = newestFirst([
      job('r1', 'a1', 'e2e', 'failure', 30),
      job('r2', 'a2', 'e2e', 'failure', 20),
      job('r3', 'a3', 'e2e', 'success', 10),
      job('r1', 'b1', 'lint', 'error', 29),
      job('r2', 'b2', 'lint', 'success', 19),
      job('r1', 'c1', 'build', 'success', 28),
      job('r2', 'd1', 'flaky', 'cancelled', 18),
    ]);
    const insights = computeInsights(events, { window: '24h', now });
    assert.deepEqual(insights.totals.failingJobs, [
      { name: 'e2e', failures: 2, runs: 3 },
      { name: 'lint', failures: 1, runs: 2 },
    ]);
    assert.deepEqual(insights.groups[0]?.failingJobs, insights.totals.failingJobs);
  });

  it('groups by provider, repository and pipeline, busiest first', () => {
    const other = { name: 'acme/api', url: 'https://github.com/acme/api' };
    const insights = computeInsights(
      newestFirst([
        run('r1', 'success', 30, 1000),
        run('r2', 'failure', 20, 1000, { repository: other }),
        run('r3', 'success', 10, 1000, { repository: other }),
      ]),
      { window: '24h', now },
    );
    assert.deepEqual(
      insights.groups.map((g) => [g.repository, g.pipeline, g.runs, g.successRate]),
      [
        ['acme/api', 'CI', 2, 0.5],
        ['acme/web', 'CI', 1, 1],
      ],
    );
  });

  it('leaves out events outside the window and buckets the rest for the charts', () => {
    const insights = computeInsights(
      newestFirst([
        run('r1', 'success', 30, 60_000),
        run('r2', 'failure', 90, 120_000),
        run('r0', 'success', 25 * 60, 1000),
      ]),
      { window: '24h', now },
    );
    assert.equal(insights.totals.runs, 2);
    const { series } = insights;
    assert.equal(series.bucketMs, 3_600_000);
    assert.equal(series.start.length, series.runs.length);
    assert.equal(
      series.runs.reduce((a, b) => a + b, 0),
      2,
    );
    // Buckets are whole hours; the last is the hour now is in (just begun at 12:00).
    const last = series.runs.length - 1;
    assert.equal(series.start[last], '2026-11-30T12:00:00.000Z');
    assert.equal(series.runs[last], 0);
    assert.equal(series.runs[last - 1], 1, 'r1 (11:30) in the 11:00 bucket');
    assert.equal(series.p50DurationMs[last - 1], 60_000);
    assert.equal(series.failed[last - 2], 1, 'r2 (10:30) in the 10:00 bucket');
    assert.equal(series.p50DurationMs[0], null);
  });

  it('uses 6-hour buckets over 7 days and says when the reading was cut short', () => {
    const insights = computeInsights([], { window: '7d', now, truncated: true });
    assert.equal(insights.series.bucketMs, 6 * 3_600_000);
    assert.equal(insights.truncated, true);
    assert.equal(insights.totals.successRate, null);
    assert.equal(insights.totals.durationMs, null);
    assert.deepEqual(insights.groups, []);
  });
});

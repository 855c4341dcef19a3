import assert from 'node:assert/strict';
import { ciStatuses, transitions, type CiEvent, type Transition } from '../../../src/event/ci-event-schema';
import { defaultEmailOn, emailEventFilters, type EmailEventFilter } from '../../../sinks/email/config';
import { wantsEmail } from '../../../sinks/email/wants-email';
import { sampleEvent } from '../../helpers/sample-event';

const ended = ['success', 'failure', 'cancelled', 'skipped', 'error'];

/** What each `on` value should match, written out independently of the code under test. */
function expected(filter: EmailEventFilter, e: CiEvent): boolean {
  const isEnd = ended.includes(e.status);
  switch (filter) {
    case 'finished':
      return e.kind === 'pipeline' && isEnd;
    case 'failed':
      return e.kind === 'pipeline' && (e.status === 'failure' || e.status === 'error');
    case 'broken':
      return e.kind === 'pipeline' && e.transition === 'broken';
    case 'fixed':
      return e.kind === 'pipeline' && e.transition === 'fixed';
    case 'started':
      return e.kind === 'pipeline' && !isEnd;
    case 'jobs':
      return e.kind === 'job' && isEnd;
  }
}

/** Every kind × status × transition (transitions only where the router sets them: finished pipelines). */
function allEvents(): CiEvent[] {
  const events: CiEvent[] = [];
  for (const status of ciStatuses) {
    events.push(sampleEvent({ status }));
    events.push(sampleEvent({ kind: 'job', status, job: { id: '1', name: 'test' } }));
    if (status === 'success' || status === 'failure' || status === 'error') {
      for (const transition of transitions as readonly Transition[])
        events.push(sampleEvent({ status, transition }));
    }
  }
  return events;
}

const label = (e: CiEvent) => `${e.kind}/${e.status}${e.transition ? `/${e.transition}` : ''}`;

describe('email sink event filter (on)', () => {
  it('mails finished pipelines by default, re-runs included, and no starts or jobs', () => {
    assert.deepEqual(defaultEmailOn, ['finished']);
    const mailed = allEvents()
      .filter((e) => wantsEmail(defaultEmailOn, e))
      .map(label);
    assert.ok(mailed.every((l) => l.startsWith('pipeline/')));
    assert.ok(!mailed.some((l) => /running|queued|waiting/.test(l)));
    const rerun = sampleEvent({ pipeline: { ...sampleEvent().pipeline, attempt: 2 }, status: 'success' });
    assert.equal(wantsEmail(defaultEmailOn, rerun), true);
  });

  for (const filter of emailEventFilters) {
    it(`on: [${filter}] matches exactly its events`, () => {
      for (const event of allEvents())
        assert.equal(wantsEmail([filter], event), expected(filter, event), `${filter} × ${label(event)}`);
    });
  }

  it('mails an event when any listed value matches it', () => {
    const on: EmailEventFilter[] = ['broken', 'fixed'];
    assert.equal(wantsEmail(on, sampleEvent({ transition: 'broken' })), true);
    assert.equal(wantsEmail(on, sampleEvent({ status: 'success', transition: 'fixed' })), true);
    assert.equal(wantsEmail(on, sampleEvent({ transition: 'still_failing' })), false);
    assert.equal(wantsEmail(on, sampleEvent({ status: 'success', transition: 'passed' })), false);
    const widened: EmailEventFilter[] = ['started', 'finished', 'jobs'];
    assert.ok(
      allEvents().every((e) => wantsEmail(widened, e) === !(e.kind === 'job' && !ended.includes(e.status))),
    );
  });
});

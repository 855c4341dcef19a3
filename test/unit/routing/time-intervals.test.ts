import assert from 'node:assert/strict';
import { parseDuration } from '../../../src/config/duration';
import { compileRoute } from '../../../src/routing/compile-route';
import { eventForRoute, timeWindowReason } from '../../../src/routing/noise-gates';
import { compileTimeInterval, compileTimeIntervals } from '../../../src/routing/time-intervals';
import { sampleEvent } from '../../helpers/sample-event';

const utc = (y: number, m: number, d: number, h = 0, min = 0) => Date.UTC(y, m - 1, d, h, min);

describe('time intervals (Alertmanager shape, time zones through Intl)', () => {
  const cases: Array<{
    name: string;
    interval: Parameters<typeof compileTimeInterval>[0];
    at: number;
    holds: boolean;
  }> = [
    {
      name: 'times: start inclusive',
      interval: { times: [{ startTime: '09:00', endTime: '17:00' }] },
      at: utc(2025, 1, 15, 9),
      holds: true,
    },
    {
      name: 'times: end exclusive',
      interval: { times: [{ startTime: '09:00', endTime: '17:00' }] },
      at: utc(2025, 1, 15, 17),
      holds: false,
    },
    {
      name: 'times: 24:00 is the end of the day',
      interval: { times: [{ startTime: '22:00', endTime: '24:00' }] },
      at: utc(2025, 1, 15, 23, 59),
      holds: true,
    },
    {
      name: 'weekdays range (Wednesday)',
      interval: { weekdays: ['monday:friday'] },
      at: utc(2025, 1, 15, 12),
      holds: true,
    },
    {
      name: 'weekdays range (Saturday)',
      interval: { weekdays: ['monday:friday'] },
      at: utc(2025, 1, 18, 12),
      holds: false,
    },
    {
      name: 'location moves the day: Sunday 23:30 UTC is Monday in Tokyo',
      interval: { weekdays: ['monday'], location: 'Asia/Tokyo' },
      at: utc(2025, 1, 19, 23, 30),
      holds: true,
    },
    {
      name: 'daylight saving: 17:30 Berlin in winter is 16:30 UTC',
      interval: { times: [{ startTime: '17:00', endTime: '18:00' }], location: 'Europe/Berlin' },
      at: utc(2025, 1, 15, 16, 30),
      holds: true,
    },
    {
      name: 'daylight saving: 17:30 Berlin in summer is 15:30 UTC',
      interval: { times: [{ startTime: '17:00', endTime: '18:00' }], location: 'Europe/Berlin' },
      at: utc(2025, 7, 15, 15, 30),
      holds: true,
    },
    {
      name: 'daysOfMonth: -1 is the last day (February, leap year)',
      interval: { daysOfMonth: ['-1'] },
      at: utc(2024, 2, 29, 12),
      holds: true,
    },
    {
      name: 'daysOfMonth: -1 is not the 28th of a leap February',
      interval: { daysOfMonth: ['-1'] },
      at: utc(2024, 2, 28, 12),
      holds: false,
    },
    { name: 'daysOfMonth range', interval: { daysOfMonth: ['1:7'] }, at: utc(2025, 3, 7, 12), holds: true },
    {
      name: 'months by name range',
      interval: { months: ['november:december'] },
      at: utc(2025, 12, 24),
      holds: true,
    },
    { name: 'months by number', interval: { months: ['1', '3'] }, at: utc(2025, 2, 1), holds: false },
    { name: 'years range', interval: { years: ['2024:2025'] }, at: utc(2026, 1, 1), holds: false },
    {
      name: 'every field must hold',
      interval: { weekdays: ['saturday', 'sunday'], months: ['december'] },
      at: utc(2025, 12, 20, 8),
      holds: true,
    },
  ];
  for (const c of cases)
    it(c.name, () => {
      assert.equal(compileTimeInterval(c.interval)(c.at), c.holds);
    });

  it('refuses an unknown zone, a backwards range and a duplicate name, naming where', () => {
    const problems: string[] = [];
    compileTimeIntervals(
      [
        { name: 'a', timeIntervals: [{ location: 'Mars/Olympus' }] },
        {
          name: 'a',
          timeIntervals: [
            { weekdays: ['friday:monday'] },
            { times: [{ startTime: '18:00', endTime: '09:00' }] },
          ],
        },
      ],
      problems,
    );
    assert.deepEqual(problems, [
      'timeIntervals[0] (a).timeIntervals[0].location: unknown time zone "Mars/Olympus"',
      'timeIntervals: duplicate name "a"',
      'timeIntervals[1] (a).timeIntervals[0].weekdays: range "friday:monday" ends before it starts',
      'timeIntervals[1] (a).timeIntervals[1].times: 18:00-09:00 ends before it starts',
    ]);
  });

  it('a route naming an unknown interval does not compile', () => {
    assert.throws(
      () => compileRoute({ name: 'r', sinks: ['s'], muteTimeIntervals: ['nights'] }),
      /muteTimeIntervals: unknown time interval "nights"/,
    );
  });

  it('timeWindowReason: mute wins over active', () => {
    const intervals = compileTimeIntervals(
      [
        { name: 'always', timeIntervals: [{}] },
        { name: 'weekend', timeIntervals: [{ weekdays: ['saturday', 'sunday'] }] },
      ],
      [],
    );
    const route = compileRoute(
      { name: 'r', sinks: ['s'], activeTimeIntervals: ['always'], muteTimeIntervals: ['weekend'] },
      intervals,
    );
    assert.equal(timeWindowReason(route, utc(2025, 1, 15)), undefined);
    assert.equal(timeWindowReason(route, utc(2025, 1, 18)), 'within mute time interval "weekend"');
  });
});

describe('durations', () => {
  for (const [text, ms] of [
    ['10s', 10_000],
    ['4h', 14_400_000],
    ['1h30m', 5_400_000],
    ['500ms', 500],
    ['2d', 172_800_000],
  ] as const)
    it(`${text} = ${ms} ms`, () => assert.equal(parseDuration(text), ms));
  it('refuses what is not a duration', () =>
    assert.throws(() => parseDuration('4 hours'), /invalid duration/));
});

describe('after: N (the event as the route sees it)', () => {
  const route = compileRoute({ name: 'r', sinks: ['s'], after: 3 });
  const failed = sampleEvent({ status: 'failure', transition: 'still_failing' });
  const table: Array<[string, number, number, string | undefined, boolean]> = [
    // [status, failures, previousFailures, transition seen, held]
    ['failure', 1, 0, 'still_failing', true],
    ['failure', 2, 1, 'still_failing', true],
    ['failure', 3, 2, 'broken', false],
    ['failure', 4, 3, 'still_failing', false],
  ];
  for (const [status, failures, previousFailures, transition, held] of table)
    it(`${status} #${failures}: ${held ? 'held' : transition}`, () => {
      const view = eventForRoute(
        route,
        { ...failed, status: status as 'failure' },
        { failures, previousFailures },
      );
      assert.equal(view.held !== undefined, held);
      assert.equal(view.event.transition, transition);
    });
  it('a fix after fewer than N failures is a plain pass for the route; after N, a fix', () => {
    const fixed = sampleEvent({ status: 'success', transition: 'fixed' });
    assert.equal(
      eventForRoute(route, fixed, { failures: 0, previousFailures: 2 }).event.transition,
      'passed',
    );
    assert.equal(eventForRoute(route, fixed, { failures: 0, previousFailures: 3 }).event.transition, 'fixed');
  });
});

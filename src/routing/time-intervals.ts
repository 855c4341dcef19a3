import { Type, type Static } from '@sinclair/typebox';

const ranges = (description: string, pattern: string) =>
  Type.Optional(Type.Array(Type.String({ pattern }), { minItems: 1, description }));

/** One time interval, as Alertmanager's `time_intervals[].time_intervals[]`: every given field must hold. */
export const timeIntervalSchema = Type.Object(
  {
    times: Type.Optional(
      Type.Array(
        Type.Object(
          {
            startTime: Type.String({
              pattern: '^(?:[01][0-9]|2[0-3]):[0-5][0-9]$',
              description: 'HH:MM, inclusive',
            }),
            endTime: Type.String({
              pattern: '^(?:(?:[01][0-9]|2[0-3]):[0-5][0-9]|24:00)$',
              description: 'HH:MM, exclusive; 24:00 is the end of the day',
            }),
          },
          { additionalProperties: false },
        ),
        { minItems: 1, description: 'times of day (in `location`)' },
      ),
    ),
    weekdays: ranges(
      '`monday`, or a range `monday:friday`',
      '^(?:sunday|monday|tuesday|wednesday|thursday|friday|saturday)(?::(?:sunday|monday|tuesday|wednesday|thursday|friday|saturday))?$',
    ),
    daysOfMonth: ranges(
      '`1`, `1:5`; negative counts from the end of the month (`-1` is its last day, `-3:-1` its last three)',
      '^-?[0-9]{1,2}(?::-?[0-9]{1,2})?$',
    ),
    months: ranges(
      '`1`..`12` or `january`..`december`, or a range `march:may`',
      '^(?:[0-9]{1,2}|january|february|march|april|may|june|july|august|september|october|november|december)(?::(?:[0-9]{1,2}|january|february|march|april|may|june|july|august|september|october|november|december))?$',
    ),
    years: ranges('`2025`, or a range `2025:2026`', '^[0-9]{4}(?::[0-9]{4})?$'),
    location: Type.Optional(
      Type.String({
        minLength: 1,
        description:
          'IANA time zone the fields are read in, e.g. `Europe/Berlin`; `Local` is the host zone; default UTC',
      }),
    ),
  },
  { additionalProperties: false },
);
/** One time interval as written. */
export type TimeIntervalConfig = Static<typeof timeIntervalSchema>;

/** A named set of time intervals (the top-level `timeIntervals`); it holds when any of them does. */
export const namedTimeIntervalSchema = Type.Object(
  {
    name: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]*$' }),
    timeIntervals: Type.Array(timeIntervalSchema, { minItems: 1 }),
  },
  { additionalProperties: false },
);
/** A named set of time intervals as written. */
export type NamedTimeIntervalConfig = Static<typeof namedTimeIntervalSchema>;

/** Whether an instant (ms since the epoch) falls within a compiled interval set. */
export type TimeIntervalTest = (nowMs: number) => boolean;

const weekdayNames = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];
const monthNames = [
  'january',
  'february',
  'march',
  'april',
  'may',
  'june',
  'july',
  'august',
  'september',
  'october',
  'november',
  'december',
];

/** The local calendar fields of an instant in a zone, read with Intl (the platform's ICU time zone data). */
interface LocalTime {
  year: number;
  month: number;
  day: number;
  weekday: number;
  minute: number;
}

function localClock(timeZone: string | undefined): (ms: number) => LocalTime {
  // Intl knows every IANA zone and its daylight-saving rules; an unknown zone throws RangeError here.
  const format = new Intl.DateTimeFormat('en-US', {
    ...(timeZone !== undefined && { timeZone }),
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    weekday: 'long',
    hour: 'numeric',
    minute: 'numeric',
  });
  return (ms) => {
    const parts = Object.fromEntries(format.formatToParts(ms).map((p) => [p.type, p.value]));
    return {
      year: Number(parts.year),
      month: Number(parts.month),
      day: Number(parts.day),
      weekday: weekdayNames.indexOf(String(parts.weekday).toLowerCase()),
      minute: Number(parts.hour) * 60 + Number(parts.minute),
    };
  };
}

const daysIn = (year: number, month: number) => new Date(Date.UTC(year, month, 0)).getUTCDate();

/** `a` or `a:b` with each end read by `value`; throws when an end does not read or the range is backwards. */
function parseRanges(
  list: readonly string[] | undefined,
  field: string,
  value: (s: string) => number | undefined,
  allowWrap = false,
): Array<[number, number]> | undefined {
  return list?.map((text) => {
    const [a = '', b = a] = text.split(':');
    const start = value(a);
    const end = value(b);
    if (start === undefined || end === undefined)
      throw new Error(`${field}: invalid value ${JSON.stringify(text)}`);
    if (end < start && !allowWrap)
      throw new Error(`${field}: range ${JSON.stringify(text)} ends before it starts`);
    return [start, end];
  });
}

const inRanges = (ranges: Array<[number, number]> | undefined, v: number) =>
  ranges === undefined || ranges.some(([a, b]) => v >= a && v <= b);

const minutesOf = (hhmm: string) => {
  const [h, m] = hhmm.split(':').map(Number);
  return (h ?? 0) * 60 + (m ?? 0);
};

/** Compiles one interval; throws with the field at fault (an unknown zone, a backwards range, ...). */
export function compileTimeInterval(interval: TimeIntervalConfig): TimeIntervalTest {
  const zone =
    interval.location === undefined ? 'UTC' : interval.location === 'Local' ? undefined : interval.location;
  let clock: (ms: number) => LocalTime;
  try {
    clock = localClock(zone);
  } catch {
    throw new Error(`location: unknown time zone ${JSON.stringify(interval.location)}`);
  }
  const times = interval.times?.map(({ startTime, endTime }) => {
    const range: [number, number] = [minutesOf(startTime), minutesOf(endTime)];
    if (range[1] <= range[0]) throw new Error(`times: ${startTime}-${endTime} ends before it starts`);
    return range;
  });
  const weekdays = parseRanges(interval.weekdays, 'weekdays', (s) => {
    const i = weekdayNames.indexOf(s);
    return i < 0 ? undefined : i;
  });
  const months = parseRanges(interval.months, 'months', (s) => {
    const n = /^[0-9]+$/.test(s) ? Number(s) : monthNames.indexOf(s) + 1;
    return n >= 1 && n <= 12 ? n : undefined;
  });
  const years = parseRanges(interval.years, 'years', (s) => Number(s));
  const days = parseRanges(
    interval.daysOfMonth,
    'daysOfMonth',
    (s) => {
      const n = Number(s);
      return n !== 0 && n >= -31 && n <= 31 ? n : undefined;
    },
    true,
  );
  return (ms) => {
    const t = clock(ms);
    if (times && !times.some(([a, b]) => t.minute >= a && t.minute < b)) return false;
    if (!inRanges(weekdays, t.weekday)) return false;
    if (!inRanges(months, t.month)) return false;
    if (!inRanges(years, t.year)) return false;
    if (days) {
      const last = daysIn(t.year, t.month);
      // Negative days count back from the month's end, as in Alertmanager.
      const abs = (d: number) => (d < 0 ? last + 1 + d : d);
      if (!days.some(([a, b]) => t.day >= abs(a) && t.day <= abs(b))) return false;
    }
    return true;
  };
}

/** Compiles the top-level `timeIntervals` by name; problems (duplicates, bad fields) go to `problems`. */
export function compileTimeIntervals(
  named: readonly NamedTimeIntervalConfig[] | undefined,
  problems: string[],
): Map<string, TimeIntervalTest> {
  const compiled = new Map<string, TimeIntervalTest>();
  (named ?? []).forEach((set, i) => {
    if (compiled.has(set.name)) problems.push(`timeIntervals: duplicate name "${set.name}"`);
    const tests: TimeIntervalTest[] = [];
    set.timeIntervals.forEach((interval, j) => {
      try {
        tests.push(compileTimeInterval(interval));
      } catch (e) {
        problems.push(`timeIntervals[${i}] (${set.name}).timeIntervals[${j}].${(e as Error).message}`);
      }
    });
    compiled.set(set.name, (ms) => tests.some((test) => test(ms)));
  });
  return compiled;
}

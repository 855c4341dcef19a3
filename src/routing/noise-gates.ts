import type { CiEvent } from '../event/ci-event-schema';
import { failingStatuses } from '../event/failing-statuses';
import type { CompiledRoute } from './compiled-route';

/** A series' failures in a row, as the router recorded them with the event. */
export interface FailureCount {
  /** Failures in a row, this event included (0 when it passed). */
  failures: number;
  /** Failures in a row before this event. */
  previousFailures: number;
}

/** The event as one route sees it, and why the route holds it back (its `after`), if it does. */
export interface RouteView {
  event: CiEvent;
  held?: string;
}

/**
 * The event as `route` sees it under its `after: N`: a pipeline's first N-1 failures in a row are held
 * back, the N-th is the route's `broken` and later ones its `still_failing`; a fix after fewer than N
 * failures is only a `passed` for it (it never told anyone of the failure). Other routes see the event
 * as it is.
 */
export function eventForRoute(
  route: CompiledRoute,
  event: CiEvent,
  count: FailureCount | undefined,
): RouteView {
  if (route.after <= 1 || count === undefined || event.kind !== 'pipeline') return { event };
  if (failingStatuses.has(event.status)) {
    if (count.failures < route.after)
      return {
        event,
        held: `failure ${count.failures} in a row; the route (after: ${route.after}) waits for ${route.after}`,
      };
    return { event: { ...event, transition: count.failures === route.after ? 'broken' : 'still_failing' } };
  }
  if (event.transition === 'fixed' && count.previousFailures < route.after)
    return { event: { ...event, transition: 'passed' } };
  return { event };
}

/** Why `route` sends nothing at `nowMs` (a mute interval, or outside its active ones), or undefined. */
export function timeWindowReason(route: CompiledRoute, nowMs: number): string | undefined {
  const muted = route.muteTimeIntervals.find((i) => i.test(nowMs));
  if (muted) return `within mute time interval "${muted.name}"`;
  if (route.activeTimeIntervals.length > 0 && !route.activeTimeIntervals.some((i) => i.test(nowMs)))
    return `outside the active time intervals (${route.activeTimeIntervals.map((i) => i.name).join(', ')})`;
  return undefined;
}

/** `4h 10m`, for reasons people read. */
export function formatMs(ms: number): string {
  const s = Math.round(ms / 1000);
  const parts = [
    [Math.floor(s / 86400), 'd'],
    [Math.floor((s % 86400) / 3600), 'h'],
    [Math.floor((s % 3600) / 60), 'm'],
    [s % 60, 's'],
  ] as const;
  return (
    parts
      .filter(([n]) => n > 0)
      .map(([n, u]) => `${n}${u}`)
      .join(' ') || '0s'
  );
}

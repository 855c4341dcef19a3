import picomatch from 'picomatch';
import type { RouteConfig } from '../config/config-schema';
import { parseDuration } from '../config/duration';
import type { CompiledRoute, MatchKey } from './compiled-route';
import type { TimeIntervalTest } from './time-intervals';

/**
 * Compiles a route's globs, durations and time interval names (looked up in `intervals`, the compiled
 * top-level `timeIntervals`); throws with the offending key when one is invalid or unknown.
 */
export function compileRoute(
  route: RouteConfig,
  intervals: ReadonlyMap<string, TimeIntervalTest> = new Map(),
): CompiledRoute {
  const conditions = Object.entries(route.match ?? {}).map(([key, value]) => {
    const patterns: readonly string[] = Array.isArray(value) ? value : [String(value)];
    const matchers = patterns.map((pattern) => {
      try {
        // strictBrackets: an unbalanced [ or ( is an error rather than a literal character.
        const re = picomatch.makeRe(pattern, { dot: true, strictBrackets: true });
        return (v: string) => re.test(v);
      } catch (cause) {
        throw new Error(
          `match.${key}: invalid glob ${JSON.stringify(pattern)} (${(cause as Error).message})`,
        );
      }
    });
    return { key: key as MatchKey, test: (v: string) => matchers.some((m) => m(v)) };
  });
  const named = (key: string, names: readonly string[] | undefined) =>
    (names ?? []).map((name) => {
      const test = intervals.get(name);
      if (!test)
        throw new Error(`${key}: unknown time interval "${name}" (not in the top-level timeIntervals)`);
      return { name, test };
    });
  return {
    name: route.name,
    groupWaitMs: route.groupWait === undefined ? 0 : parseDuration(route.groupWait),
    ...(route.repeatInterval !== undefined && { repeatIntervalMs: parseDuration(route.repeatInterval) }),
    after: route.after ?? 1,
    activeTimeIntervals: named('activeTimeIntervals', route.activeTimeIntervals),
    muteTimeIntervals: named('muteTimeIntervals', route.muteTimeIntervals),
    sinks: route.sinks,
    continue: route.continue ?? false,
    sendResolved: route.sendResolved ?? true,
    options: route.options ?? {},
    conditions,
  };
}

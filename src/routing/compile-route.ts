import picomatch from 'picomatch';
import type { RouteConfig } from '../config/config-schema';
import type { CompiledRoute, MatchKey } from './compiled-route';

/** Compiles a route's globs; throws with the offending key and pattern when one is invalid. */
export function compileRoute(route: RouteConfig): CompiledRoute {
  const conditions = Object.entries(route.match ?? {}).map(([key, value]) => {
    const patterns: readonly string[] = Array.isArray(value) ? value : [value as string];
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
  return {
    name: route.name,
    sinks: route.sinks,
    continue: route.continue ?? false,
    sendResolved: route.sendResolved ?? true,
    options: route.options ?? {},
    conditions,
  };
}

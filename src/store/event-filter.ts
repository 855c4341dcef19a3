import picomatch from 'picomatch';
import type { RouteMatchConfig } from '../config/config-schema';
import type { CiEvent } from '../event/ci-event-schema';
import { compileRoute } from '../routing/compile-route';
import { matchesRoute } from '../routing/match-routes';
import type { CompiledRoute } from '../routing/compiled-route';
import type { TimeRange } from './read-newest-first';

/** A filter on events: the route match keys (globs as in routes) and a time range on `receivedAt`. */
export interface EventFilter extends TimeRange {
  match?: RouteMatchConfig | undefined;
}

/** A filter with its globs compiled. */
export interface CompiledEventFilter extends TimeRange {
  match: RouteMatchConfig;
  route: CompiledRoute;
  test(event: CiEvent): boolean;
}

/** Compiles `filter`'s globs; throws an Error naming the key and pattern when one is invalid. */
export function compileEventFilter(filter: EventFilter): CompiledEventFilter {
  const match = filter.match ?? {};
  const route = compileRoute({ name: 'filter', sinks: ['-'], match });
  const { since, until } = filter;
  return {
    match,
    route,
    since,
    until,
    test: (event) => {
      const at = Date.parse(event.receivedAt);
      if (since !== undefined && at < since) return false;
      if (until !== undefined && at > until) return false;
      return matchesRoute(route, event);
    },
  };
}

/** The patterns of one match key as a list. */
export function patternsOf(value: string | readonly string[] | undefined): readonly string[] {
  if (value === undefined) return [];
  return typeof value === 'string' ? [value] : value;
}

/** Whether `pattern` is a glob rather than one literal value. */
export function isGlob(pattern: string): boolean {
  return picomatch.scan(pattern).isGlob;
}

import type { CiEvent } from '../event/ci-event-schema';
import { matchFields, type CompiledRoute } from './compiled-route';

/** Whether every condition of `route` holds for `event`; a condition on a field the event lacks does not hold. */
export function matchesRoute(route: CompiledRoute, event: CiEvent): boolean {
  return route.conditions.every(({ key, test }) => {
    const value = matchFields[key](event);
    return value !== undefined && test(value);
  });
}

/** The routes that take `event`, in order: the first match, and the ones after it while matches say `continue`. */
export function matchRoutes(routes: readonly CompiledRoute[], event: CiEvent): CompiledRoute[] {
  const matched: CompiledRoute[] = [];
  for (const route of routes) {
    if (!matchesRoute(route, event)) continue;
    matched.push(route);
    if (!route.continue) break;
  }
  return matched;
}

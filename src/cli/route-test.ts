import type { RelayConfig } from '../config/relay-config';
import type { CiEvent } from '../event/ci-event-schema';
import { validateEvent, validateEventBody } from '../event/validate-event';
import { matchRoutes } from '../routing/match-routes';

/**
 * Which routes and sinks an event would go to under `config`. The event may be a full CiEvent or a
 * body without the relay's fields (as `provider: generic` takes); missing relay fields are filled in.
 */
export function routeTest(config: RelayConfig, input: unknown): string[] {
  const problems = validateEvent(input);
  let event = input as CiEvent;
  if (problems.length > 0) {
    const bodyProblems = validateEventBody(input);
    if (bodyProblems.length > 0) throw new Error(`[route-test] not a CiEvent: ${problems.join('; ')}`);
    const now = new Date().toISOString();
    event = {
      id: 'route-test',
      schemaVersion: 1,
      source: 'route-test',
      provider: 'generic',
      deliveryId: 'route-test',
      receivedAt: now,
      ...(input as object),
    } as CiEvent;
  }
  const matched = matchRoutes(config.routes, event);
  if (matched.length === 0) return ['no route matches: nothing would be sent'];
  return matched.map((r) => `route ${r.name} -> ${r.sinks.join(', ')}${r.continue ? ' (continue)' : ''}`);
}

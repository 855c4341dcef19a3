import type { RelayConfig } from '../config/relay-config';
import { explainRoutes, formatExplanation } from '../routing/explain-routes';
import { routeTestEvents, type RouteTestInput } from '../routing/route-test-events';

/**
 * Which routes and sinks an input would go to under `config`, as lines: a CiEvent (or a CiEvent body
 * without the relay's fields), or a provider's raw webhook body when `provider` is given (its event
 * type from `headers`, e.g. `x-github-event: workflow_run`). Offline: no dedup or silence checks.
 */
export async function routeTest(
  config: RelayConfig,
  input: unknown,
  raw?: { provider: string; headers: Record<string, string> },
): Promise<string[]> {
  const request: RouteTestInput = raw ? { ...raw, body: input } : { event: input };
  const { events, ignored } = routeTestEvents(request);
  if (ignored !== undefined) return [`ignored: ${ignored}`];
  const lines: string[] = [];
  for (const event of events) {
    if (events.length > 1)
      lines.push(`${event.kind} ${event.job?.name ?? event.pipeline.name} ${event.status}:`);
    lines.push(...formatExplanation(await explainRoutes(config, event)));
  }
  return lines;
}

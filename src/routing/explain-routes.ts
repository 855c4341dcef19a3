import type { RelayConfig } from '../config/relay-config';
import type { CiEvent } from '../event/ci-event-schema';
import { sinkFilters, type SinkConfig } from '../../sinks';
import type { Notification } from '../contracts/sink';
import type { CompiledRoute } from './compiled-route';
import { matchesRoute } from './match-routes';
import { eventForRoute, formatMs, timeWindowReason, type FailureCount } from './noise-gates';

/** Something that would keep a notification from being sent. */
export interface Suppression {
  kind: 'sinkFilter' | 'dedup' | 'silence' | 'timeWindow' | 'after' | 'repeatInterval' | 'grouping';
  reason: string;
}

/** One sink a route sends to, and what would suppress the notification there. */
export interface SinkExplanation {
  sink: string;
  type: string;
  /** True when nothing listed would suppress it. */
  wouldSend: boolean;
  suppressedBy: Suppression[];
}

/** One matched route. */
export interface RouteExplanation {
  route: string;
  continue: boolean;
  sinks: SinkExplanation[];
}

/** Checks that need Redis (dedup, silences); absent in offline use (the CLI without a relay). */
export interface SuppressionChecks {
  /** Suppressions known to the running relay for this (event, route, sink). */
  check(event: CiEvent, route: CompiledRoute, sink: SinkConfig): Promise<Suppression[]>;
}

/** What else an explanation takes into account. */
export interface ExplainContext {
  /** The series' failures in a row with this event (routes' `after`); unknown offline. */
  count?: FailureCount | undefined;
  /** @defaultValue `Date.now()` (time intervals) */
  nowMs?: number;
}

/** Which routes and sinks `event` reaches under `config`, and for each sink what would suppress it. */
export async function explainRoutes(
  config: RelayConfig,
  event: CiEvent,
  checks?: SuppressionChecks,
  context: ExplainContext = {},
): Promise<RouteExplanation[]> {
  const out: RouteExplanation[] = [];
  const nowMs = context.nowMs ?? Date.now();
  const matched = [];
  for (const route of config.routes) {
    const view = eventForRoute(route, event, context.count);
    if (!matchesRoute(route, view.event)) continue;
    matched.push({ route, view });
    if (!route.continue) break;
  }
  for (const { route, view } of matched) {
    const routeSuppressions: Suppression[] = [];
    if (view.held !== undefined) routeSuppressions.push({ kind: 'after', reason: view.held });
    const window = timeWindowReason(route, nowMs);
    if (window !== undefined) routeSuppressions.push({ kind: 'timeWindow', reason: window });
    if (route.groupWaitMs > 0 && event.kind === 'job')
      routeSuppressions.push({
        kind: 'grouping',
        reason: `held for groupWait (${formatMs(route.groupWaitMs)}): sent as one notification with the run's other job events`,
      });
    const sinks: SinkExplanation[] = [];
    for (const sinkId of route.sinks) {
      const sink = config.sinks.get(sinkId);
      if (!sink) continue;
      const options = route.options[sinkId];
      const notification: Notification = {
        id: 'route-test',
        route: route.name,
        event: view.event,
        ...(options && { options }),
      };
      const filter = sinkFilters[sink.type] as
        ((c: SinkConfig, n: Notification) => string | undefined) | undefined;
      const suppressedBy: Suppression[] = [...routeSuppressions];
      const filtered = filter?.(sink, notification);
      if (filtered !== undefined) suppressedBy.push({ kind: 'sinkFilter', reason: filtered });
      if (checks) suppressedBy.push(...(await checks.check(view.event, route, sink)));
      sinks.push({ sink: sinkId, type: sink.type, wouldSend: suppressedBy.length === 0, suppressedBy });
    }
    out.push({ route: route.name, continue: route.continue, sinks });
  }
  return out;
}

/** The explanation as lines for a terminal. */
export function formatExplanation(routes: readonly RouteExplanation[]): string[] {
  if (routes.length === 0) return ['no route matches: nothing would be sent'];
  const lines: string[] = [];
  for (const r of routes) {
    lines.push(
      `route ${r.route} -> ${r.sinks.map((s) => s.sink).join(', ')}${r.continue ? ' (continue)' : ''}`,
    );
    for (const s of r.sinks)
      for (const why of s.suppressedBy) lines.push(`  ${s.sink}: not sent (${why.kind}): ${why.reason}`);
  }
  return lines;
}

import type { RouteMatchConfig } from '../config/config-schema';
import { parseTime } from '../api/parse-query';
import type { ApiClient } from './api-client';

/** Options of `ci-relay replay`. */
export interface ReplayOptions {
  since: string;
  until?: string | undefined;
  sinks?: string[] | undefined;
  match?: RouteMatchConfig | undefined;
  dryRun: boolean;
  /** Slices the range is replayed in, for progress on long runs. @defaultValue 10 */
  slices?: number;
}

interface ReplayAnswer {
  replayId: string;
  count: number;
  events: number;
  notifications?: Array<{ eventId: string; route: string; sink: string }>;
  truncated?: boolean;
}

/**
 * Replays a time range through the API. A dry run is one call that lists what would be sent; a real
 * replay goes slice by slice, oldest first, so a long range shows progress and an interruption leaves
 * the earlier slices done (the output says up to when).
 */
export async function replay(
  api: ApiClient,
  options: ReplayOptions,
  out: (line: string) => void,
  progress: (line: string) => void,
  now = Date.now(),
): Promise<number> {
  const since = parseTime(options.since, 'since', now);
  const until = options.until === undefined ? now : parseTime(options.until, 'until', now);
  const body = {
    ...(options.sinks && { sinks: options.sinks }),
    ...(options.match && { match: options.match }),
  };
  if (options.dryRun) {
    const answer = await api.post<ReplayAnswer>('/v1/replay', {
      since: new Date(since).toISOString(),
      until: new Date(until).toISOString(),
      ...body,
      dryRun: true,
    });
    for (const n of answer.notifications ?? []) out(`would send ${n.eventId} via ${n.route} -> ${n.sink}`);
    if (answer.truncated) out(`... and ${answer.count - (answer.notifications?.length ?? 0)} more`);
    out(`dry run: ${answer.count} notifications from ${answer.events} events`);
    return answer.count;
  }
  const slices = Math.max(1, options.slices ?? 10);
  const step = Math.ceil((until - since + 1) / slices);
  let total = 0;
  for (let from = since, i = 1; from <= until; from += step, i++) {
    const to = Math.min(until, from + step - 1);
    const answer = await api.post<ReplayAnswer>('/v1/replay', {
      since: new Date(from).toISOString(),
      until: new Date(to).toISOString(),
      ...body,
    });
    total += answer.count;
    progress(
      `replayed up to ${new Date(to).toISOString()} (${Math.min(100, Math.round((i / slices) * 100))}%): ${total} notifications`,
    );
  }
  out(`replayed ${total} notifications`);
  return total;
}

import { Router } from 'express';
import {
  createInsightsCounter,
  insightEventBudget,
  insightWindows,
  type InsightWindow,
} from '../../insights/compute-insights';
import { ApiError } from '../api-error';
import type { ApiDeps } from '../api-deps';
import { allowOnly, oneParam, parseEventFilter } from '../parse-query';

const filterKeys = ['provider', 'repository', 'pipeline', 'branch'] as const;

/**
 * `GET /v1/insights`: runs, success rate, durations, queue time and failing jobs per pipeline over the
 * last 24 h or 7 d, computed from the stored events. Reads at most {@link insightEventBudget} events
 * (newest first, in batches of 500), so one request costs at most about 40 Redis round trips and
 * keeps only the figures (durations per run for the percentiles), not the events.
 */
export function insightsRoutes(deps: ApiDeps): Router {
  const { records, authorize, now = Date.now } = deps;
  const router = Router();
  router.get('/insights', authorize('read'), async (req, res) => {
    const query = req.query as Record<string, unknown>;
    allowOnly(query, ['window', ...filterKeys]);
    const window = oneParam(query, 'window') ?? '24h';
    if (!Object.keys(insightWindows).includes(window))
      throw new ApiError(
        'invalid_parameter',
        `"window" must be one of ${Object.keys(insightWindows).join(', ')}; not "${window}"`,
      );
    const at = now();
    const filterQuery: Record<string, unknown> = {
      since: new Date(at - insightWindows[window as InsightWindow].ms).toISOString(),
    };
    for (const key of filterKeys) if (query[key] !== undefined) filterQuery[key] = query[key];
    const filter = parseEventFilter(filterQuery, at);
    // Counted as they are read: memory holds the figures, not the events.
    const counter = createInsightsCounter({ window: window as InsightWindow, now: at });
    let read = 0;
    let truncated = false;
    for await (const event of records.events.each(filter)) {
      if (read++ >= insightEventBudget) {
        truncated = true;
        break;
      }
      counter.add(event);
    }
    res.json(counter.result(truncated));
  });
  return router;
}

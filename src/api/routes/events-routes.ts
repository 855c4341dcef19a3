import { Router } from 'express';
import { ApiError } from '../api-error';
import { pathId, type ApiDeps } from '../api-deps';
import { allowOnly, eventFilterKeys, parseCursor, parseEventFilter, parseLimit } from '../parse-query';

const listParams = [...eventFilterKeys, 'since', 'until', 'limit', 'cursor'];

/** `GET /v1/events`, `GET /v1/events/{id}` and `GET /v1/runs`. */
export function eventsRoutes(deps: ApiDeps): Router {
  const { records, authorize, now = Date.now } = deps;
  const router = Router();
  router.get('/events', authorize('read'), async (req, res) => {
    const query = req.query as Record<string, unknown>;
    allowOnly(query, listParams);
    const filter = parseEventFilter(query, now());
    res.json(await records.events.list(filter, { limit: parseLimit(query), cursor: parseCursor(query) }));
  });
  router.get('/events/:id', authorize('read'), async (req, res) => {
    allowOnly(req.query as Record<string, unknown>, []);
    const event = await records.events.get(pathId(req));
    if (!event)
      throw new ApiError('not_found', `no event "${pathId(req)}" (it may be older than the retention)`);
    res.json({ event, notifications: await records.deliveries.forEvent(event.id) });
  });
  router.get('/runs', authorize('read'), async (req, res) => {
    const query = req.query as Record<string, unknown>;
    allowOnly(query, listParams);
    const filter = parseEventFilter(query, now());
    res.json(await records.board.list(filter, { limit: parseLimit(query), cursor: parseCursor(query) }));
  });
  return router;
}

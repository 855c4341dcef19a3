import { Router } from 'express';
import { auditActions } from '../../store/create-audit-log';
import { ApiError } from '../api-error';
import type { ApiDeps } from '../api-deps';
import { allowOnly, listParam, oneParam, parseLimit, parseRange } from '../parse-query';
import { isStreamId } from '../../store/stream-id';

/** `GET /v1/audit`: who did what, when. */
export function auditRoutes(deps: ApiDeps): Router {
  const { records, authorize, now = Date.now } = deps;
  const router = Router();
  router.get('/audit', authorize('read'), async (req, res) => {
    const query = req.query as Record<string, unknown>;
    allowOnly(query, ['action', 'who', 'since', 'until', 'limit', 'cursor']);
    const action = listParam(query, 'action');
    for (const a of action ?? [])
      if (!(auditActions as readonly string[]).includes(a))
        throw new ApiError(
          'invalid_parameter',
          `"action" must be one of ${auditActions.join(', ')}; not "${a}"`,
        );
    const cursor = oneParam(query, 'cursor');
    if (cursor !== undefined && !isStreamId(cursor))
      throw new ApiError('invalid_parameter', '"cursor" is not a cursor this API returned');
    res.json(
      await records.audit.list(
        { action, who: listParam(query, 'who'), ...parseRange(query, now()) },
        { limit: parseLimit(query), cursor },
      ),
    );
  });
  return router;
}

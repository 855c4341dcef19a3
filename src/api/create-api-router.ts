import { Router, type ErrorRequestHandler } from 'express';
import { ApiError } from './api-error';
import type { ApiDeps } from './api-deps';
import { openApiDocument } from './openapi-document';
import { auditRoutes } from './routes/audit-routes';
import { deliveriesRoutes } from './routes/deliveries-routes';
import { eventsRoutes } from './routes/events-routes';
import { insightsRoutes } from './routes/insights-routes';
import { replayRoutes } from './routes/replay-routes';
import { routeTestRoutes } from './routes/route-test-routes';
import { silencesRoutes } from './routes/silences-routes';
import { flakyJobsRoutes } from './routes/flaky-jobs-routes';
import { streamRoutes } from './routes/stream-routes';
import { whoamiRoutes } from './routes/whoami-routes';

/** The `/v1` API, to mount at `/v1`, and what must be closed on shutdown. */
export interface ApiRouter {
  router: Router;
  /** Ends open streams. */
  close(): void;
}

/**
 * The versioned real-time API. `GET /v1/openapi.json` is always served; every other path needs a key
 * (and answers 404 while the config has no `api` section, so nothing is open by accident).
 */
export function createApiRouter(deps: ApiDeps): ApiRouter {
  const { log } = deps;
  const router = Router();
  router.get('/openapi.json', (_req, res) => void res.json(openApiDocument));
  const stream = streamRoutes(deps);
  router.use(eventsRoutes(deps));
  router.use(deliveriesRoutes(deps));
  router.use(replayRoutes(deps));
  router.use(routeTestRoutes(deps));
  router.use(silencesRoutes(deps));
  router.use(flakyJobsRoutes(deps));
  router.use(auditRoutes(deps));
  router.use(insightsRoutes(deps));
  router.use(whoamiRoutes(deps));
  router.use(stream.router);
  // Unknown /v1 paths: behind the same check, so without an `api` section they look like any other 404.
  router.use(deps.authorize('read'), (req, _res, next) => {
    next(new ApiError('not_found', `no endpoint ${req.method} /v1${req.path}`));
  });
  const onError: ErrorRequestHandler = (err: unknown, req, res, next) => {
    if (res.headersSent) return next(err);
    if (err instanceof ApiError) {
      res.status(err.status).json({ error: { code: err.code, message: err.message } });
      return;
    }
    const e = err as { type?: string; status?: number };
    if (e.type === 'entity.too.large') {
      res
        .status(413)
        .json({ error: { code: 'payload_too_large', message: 'the body is larger than 1 MiB' } });
      return;
    }
    if (e.type === 'entity.parse.failed') {
      res.status(400).json({ error: { code: 'bad_request', message: 'the body is not valid JSON' } });
      return;
    }
    if (typeof e.status === 'number' && e.status >= 400 && e.status < 500) {
      res.status(e.status).json({ error: { code: 'bad_request', message: 'the request could not be read' } });
      return;
    }
    if (deps.redis.status !== 'ready') {
      res.status(503).json({ error: { code: 'unavailable', message: 'Redis is unavailable; retry later' } });
      return;
    }
    log.error({ err, path: req.path }, '[api] unexpected error');
    res.status(500).json({ error: { code: 'internal', message: 'internal error' } });
  };
  router.use(onError);
  return { router, close: stream.close };
}

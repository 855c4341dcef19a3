import { Router } from 'express';
import type { ApiPrincipal } from '../api-principal';
import type { ApiDeps } from '../api-deps';
import { allowOnly } from '../parse-query';

/** `GET /v1/whoami`: the caller's key id (or `oauth:<sub>`) and scopes, so a client can show only what it may do. */
export function whoamiRoutes(deps: ApiDeps): Router {
  const router = Router();
  router.get('/whoami', deps.authorize('read'), (req, res) => {
    allowOnly(req.query as Record<string, unknown>, []);
    const principal = (res.locals as { principal: ApiPrincipal }).principal;
    res.json({ id: principal.id, kind: principal.kind, scopes: [...principal.scopes].sort() });
  });
  return router;
}

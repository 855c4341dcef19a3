import { Router } from 'express';
import {
  compileSilenceMatch,
  createSilenceStore,
  silenceRequestSchema,
  silenceStates,
  type SilenceRequest,
} from '../../store/create-silence-store';
import { ApiError } from '../api-error';
import { pathId, principalOf, type ApiDeps } from '../api-deps';
import { checkBody } from '../check-body';
import { jsonBody } from '../json-body';
import { allowOnly, listParam } from '../parse-query';

/** `GET/POST /v1/silences`, `GET/DELETE /v1/silences/{id}`: silences shared by every instance through Redis. */
export function silencesRoutes(deps: ApiDeps): Router {
  const { redis, prefix, records, authorize, now = Date.now } = deps;
  const silences = createSilenceStore({ redis, prefix, now });
  const check = checkBody<SilenceRequest>(silenceRequestSchema);
  const router = Router();

  router.get('/silences', authorize('read'), async (req, res) => {
    const query = req.query as Record<string, unknown>;
    allowOnly(query, ['state']);
    const state = listParam(query, 'state');
    for (const s of state ?? [])
      if (!(silenceStates as readonly string[]).includes(s))
        throw new ApiError(
          'invalid_parameter',
          `"state" must be one of ${silenceStates.join(', ')}; not "${s}"`,
        );
    const items = await silences.list();
    res.json({ items: state ? items.filter((s) => state.includes(s.state)) : items });
  });

  router.post('/silences', authorize('write'), jsonBody, async (req, res) => {
    const body = check(req.body);
    const at = now();
    const startsAt = body.startsAt === undefined ? at : Date.parse(body.startsAt);
    const endsAt = Date.parse(body.endsAt);
    if (endsAt <= Math.max(at, startsAt))
      throw new ApiError('bad_request', 'endsAt must be in the future and after startsAt');
    // A silence with no condition silences every notification of every route: only on purpose.
    if (Object.keys(body.match).length === 0 && body.all !== true)
      throw new ApiError(
        'bad_request',
        'the match is empty and would silence every notification; say "all": true (ci-relay silence add --all) if that is meant',
      );
    try {
      compileSilenceMatch(body.match);
    } catch (e) {
      throw new ApiError('bad_request', `body.${(e as Error).message}`);
    }
    const createdBy = principalOf(res);
    const silence = await silences.create({
      match: body.match,
      startsAt,
      endsAt,
      comment: body.comment,
      createdBy,
    });
    await records.audit.record({
      who: createdBy,
      action: 'silence.create',
      target: silence.id,
      details: {
        match: body.match,
        startsAt: silence.startsAt,
        endsAt: silence.endsAt,
        comment: body.comment,
      },
    });
    res.status(201).json(silence);
  });

  router.get('/silences/:id', authorize('read'), async (req, res) => {
    allowOnly(req.query as Record<string, unknown>, []);
    const silence = await silences.get(pathId(req));
    if (!silence)
      throw new ApiError('not_found', `no silence "${pathId(req)}" (expired ones are kept 7 days)`);
    res.json(silence);
  });

  router.delete('/silences/:id', authorize('write'), async (req, res) => {
    allowOnly(req.query as Record<string, unknown>, []);
    const who = principalOf(res);
    const silence = await silences.expire(pathId(req), who);
    if (!silence)
      throw new ApiError('not_found', `no silence "${pathId(req)}" (expired ones are kept 7 days)`);
    await records.audit.record({ who, action: 'silence.expire', target: silence.id });
    res.json(silence);
  });
  return router;
}

import { Type } from '@sinclair/typebox';
import { Router } from 'express';
import type { CiEvent } from '../../event/ci-event-schema';
import { notifiedKey } from '../../pipeline/notification-keys';
import { peekRunState } from '../../pipeline/record-run-state';
import { createRepeatState } from '../../pipeline/repeat-state';
import { createSilenceStore } from '../../store/create-silence-store';
import { explainRoutes, type Suppression, type SuppressionChecks } from '../../routing/explain-routes';
import { routeTestEvents, RouteTestInputError, type RouteTestInput } from '../../routing/route-test-events';
import { ApiError } from '../api-error';
import type { ApiDeps } from '../api-deps';
import { checkBody } from '../check-body';
import { jsonBody } from '../json-body';

/** The body of `POST /v1/route-test`. */
export const routeTestRequestSchema = Type.Union(
  [
    Type.Object({ event: Type.Object({}, { additionalProperties: true }) }, { additionalProperties: false }),
    Type.Object(
      {
        provider: Type.String({ minLength: 1 }),
        source: Type.Optional(
          Type.String({
            minLength: 1,
            description: 'the source id it would come in on; default: the first of that provider',
          }),
        ),
        headers: Type.Optional(Type.Record(Type.String(), Type.String())),
        body: Type.Unknown({
          description: 'the webhook body: JSON, or a string of it (form bodies as sent)',
        }),
      },
      { additionalProperties: false, required: ['provider', 'body'] },
    ),
  ],
  { $id: 'https://ci-relay.dev/schemas/route-test-request.json', title: 'RouteTestRequest' },
);

/** `POST /v1/route-test`: which routes and sinks an event would reach, and what would suppress each. */
export function routeTestRoutes(deps: ApiDeps): Router {
  const { configStore, redis, prefix, authorize } = deps;
  const router = Router();
  const check = checkBody<RouteTestInput>(routeTestRequestSchema);
  const repeats = createRepeatState({ redis, prefix });
  const silences = createSilenceStore({ redis, prefix, ...(deps.now && { now: deps.now }) });
  const checks: SuppressionChecks = {
    async check(event, route, sink) {
      const found: Suppression[] = [];
      const silence = await silences.matching(event);
      if (silence !== undefined)
        found.push({
          kind: 'silence',
          reason: `silence ${silence.id} by ${silence.createdBy} until ${silence.endsAt}: ${silence.comment}`,
        });
      if (event.transition === 'still_failing' && route.repeatIntervalMs !== undefined) {
        const held = await repeats.held(event, route.name, sink.id, route.repeatIntervalMs, Date.now());
        if (held !== undefined) found.push({ kind: 'repeatInterval', reason: held });
      }
      const first = await redis.get(notifiedKey(prefix, event, route.name, sink.id));
      if (first)
        found.push({
          kind: 'dedup',
          reason: `an identical notification (${first}) was sent within dedup.notificationTtlSeconds`,
        });
      return found;
    },
  };
  router.post('/route-test', authorize('write'), jsonBody, async (req, res) => {
    const input = check(req.body);
    const config = configStore.current();
    let source: string | undefined;
    if ('provider' in input) {
      source = input.source ?? [...config.sources.values()].find((s) => s.provider === input.provider)?.id;
      const configured = input.source === undefined ? undefined : config.sources.get(input.source);
      if (input.source !== undefined && configured?.provider !== input.provider)
        throw new ApiError('bad_request', `no ${input.provider} source "${input.source}" is configured`);
    }
    let found: { events: CiEvent[]; ignored?: string };
    try {
      found = routeTestEvents(input, source);
    } catch (e) {
      if (e instanceof RouteTestInputError) throw new ApiError('bad_request', e.message);
      throw e;
    }
    const results = [];
    for (const given of found.events) {
      const state = await peekRunState(redis, prefix, given);
      const transition = given.transition ?? state?.transition;
      const event: CiEvent = transition === undefined ? given : { ...given, transition };
      results.push({ event, routes: await explainRoutes(config, event, checks, { count: state }) });
    }
    res.json({ results, ...(found.ignored !== undefined && { ignored: found.ignored }) });
  });
  return router;
}

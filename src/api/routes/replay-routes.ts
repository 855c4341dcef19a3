import { Type } from '@sinclair/typebox';
import { Router } from 'express';
import { monotonicFactory } from 'ulid';
import { routeMatchSchema, type RouteMatchConfig } from '../../config/config-schema';
import type { CiEvent } from '../../event/ci-event-schema';
import { replayNotificationId } from '../../pipeline/notification-keys';
import { matchRoutes } from '../../routing/match-routes';
import { deliveryBase } from '../../store/create-delivery-store';
import { compileEventFilter } from '../../store/event-filter';
import type { Notification } from '../../contracts/sink';
import { ApiError } from '../api-error';
import { principalOf, type ApiDeps } from '../api-deps';
import { checkBody } from '../check-body';
import { jsonBody } from '../json-body';
import { parseTime } from '../parse-query';

/** The body of `POST /v1/replay`. */
export const replayRequestSchema = Type.Object(
  {
    since: Type.String({ description: 'ISO 8601 date-time, or a duration back from now (2h, 7d)' }),
    until: Type.Optional(
      Type.String({ description: 'ISO 8601 date-time, or a duration back from now; default now' }),
    ),
    match: Type.Optional(routeMatchSchema),
    sinks: Type.Optional(
      Type.Array(Type.String({ minLength: 1 }), { minItems: 1, description: 'only these sinks' }),
    ),
    dryRun: Type.Optional(Type.Boolean({ default: false })),
  },
  {
    additionalProperties: false,
    $id: 'https://ci-relay.dev/schemas/replay-request.json',
    title: 'ReplayRequest',
  },
);

interface ReplayRequest {
  since: string;
  until?: string;
  match?: RouteMatchConfig;
  sinks?: string[];
  dryRun?: boolean;
}

/** At most this many planned notifications are listed in a dry run's answer (`count` has them all). */
const listedAtMost = 1000;

/**
 * `POST /v1/replay`: routes the events of a time range again, through today's routes, as new
 * notifications (new ids, no dedup: a replay is on purpose). Oldest first, so living messages end in
 * their latest state.
 */
export function replayRoutes(deps: ApiDeps): Router {
  const { configStore, records, queues, authorize, log, now = Date.now } = deps;
  const router = Router();
  const check = checkBody<ReplayRequest>(replayRequestSchema);
  const newId = monotonicFactory();

  router.post('/replay', authorize('write'), jsonBody, async (req, res) => {
    const body = check(req.body);
    const at = now();
    const since = parseTime(body.since, 'since', at);
    const until = body.until === undefined ? at : parseTime(body.until, 'until', at);
    if (since > until) throw new ApiError('bad_request', '"since" is after "until"');
    const config = configStore.current();
    for (const sink of body.sinks ?? [])
      if (!config.sinks.has(sink)) throw new ApiError('bad_request', `no sink "${sink}" is configured`);
    let filter;
    try {
      filter = compileEventFilter({ match: body.match, since, until });
    } catch (e) {
      throw new ApiError('bad_request', `match.${(e as Error).message.replace(/^match\./, '')}`);
    }

    // Ids first (newest first, as indexes are read), then the events oldest first in batches.
    const ids: string[] = [];
    for await (const event of records.events.each(filter)) ids.push(event.id);
    ids.reverse();
    const replayId = `rpl_${newId(at)}`;
    const dryRun = body.dryRun ?? false;
    const planned: Array<{ eventId: string; route: string; sink: string }> = [];
    let count = 0;
    let events = 0;
    for (let i = 0; i < ids.length; i += 200) {
      const batch = (await Promise.all(ids.slice(i, i + 200).map((id) => records.events.get(id)))).filter(
        (e): e is CiEvent => e !== undefined,
      );
      for (const event of batch) {
        let routed = false;
        for (const route of matchRoutes(config.routes, event)) {
          for (const sinkId of route.sinks) {
            const sink = config.sinks.get(sinkId);
            if (!sink || (body.sinks && !body.sinks.includes(sinkId))) continue;
            routed = true;
            count++;
            if (dryRun) {
              if (planned.length < listedAtMost)
                planned.push({ eventId: event.id, route: route.name, sink: sinkId });
              continue;
            }
            const id = replayNotificationId(replayId, event, route.name, sinkId);
            const options = route.options[sinkId];
            const notification: Notification = {
              id,
              route: route.name,
              event,
              replayOf: replayId,
              ...(options && { options }),
            };
            await records.deliveries.create(deliveryBase(id, event, route.name, sinkId, now(), replayId), {
              state: 'pending',
            });
            await queues.add(sink, notification);
          }
        }
        if (routed) events++;
      }
    }
    const who = principalOf(res);
    if (!dryRun) {
      await records.audit.record({
        who,
        action: 'replay',
        target: replayId,
        details: {
          since: new Date(since).toISOString(),
          until: new Date(until).toISOString(),
          events,
          notifications: count,
          ...(body.sinks && { sinks: body.sinks }),
          ...(body.match && { match: body.match }),
        },
      });
    }
    log.debug({ replayId, count, dryRun }, '[api] replay');
    res.status(dryRun ? 200 : 202).json({
      replayId,
      dryRun,
      count,
      events,
      ...(dryRun && { notifications: planned, truncated: count > planned.length }),
    });
  });
  return router;
}

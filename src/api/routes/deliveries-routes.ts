import { Router } from 'express';
import { deliveryStates, type DeliveryState } from '../../store/delivery-record';
import type { Notification } from '../../contracts/sink';
import { ApiError } from '../api-error';
import { pathId, principalOf, type ApiDeps } from '../api-deps';
import { allowOnly, listParam, parseCursor, parseLimit, parseRange } from '../parse-query';

/** `GET /v1/deliveries`, `GET /v1/deliveries/{id}`, `POST /v1/deliveries/{id}/retry`. */
export function deliveriesRoutes(deps: ApiDeps): Router {
  const { records, queues, configStore, authorize, log, now = Date.now } = deps;
  const router = Router();

  router.get('/deliveries', authorize('read'), async (req, res) => {
    const query = req.query as Record<string, unknown>;
    allowOnly(query, ['state', 'sink', 'route', 'event', 'since', 'until', 'limit', 'cursor']);
    const state = listParam(query, 'state');
    for (const s of state ?? [])
      if (!(deliveryStates as readonly string[]).includes(s))
        throw new ApiError(
          'invalid_parameter',
          `"state" must be one of ${deliveryStates.join(', ')}; not "${s}"`,
        );
    const filter = {
      state: state as DeliveryState[] | undefined,
      sink: listParam(query, 'sink'),
      route: listParam(query, 'route'),
      event: listParam(query, 'event'),
      ...parseRange(query, now()),
    };
    res.json(await records.deliveries.list(filter, { limit: parseLimit(query), cursor: parseCursor(query) }));
  });

  router.get('/deliveries/:id', authorize('read'), async (req, res) => {
    allowOnly(req.query as Record<string, unknown>, []);
    const delivery = await records.deliveries.get(pathId(req));
    if (!delivery)
      throw new ApiError('not_found', `no delivery "${pathId(req)}" (it may be older than the retention)`);
    res.json(delivery);
  });

  // A dead letter is sent again with the same notification id, so receivers that deduplicate by
  // webhook-id (or Message-ID) still see one notification.
  router.post('/deliveries/:id/retry', authorize('write'), async (req, res) => {
    allowOnly(req.query as Record<string, unknown>, []);
    const id = pathId(req);
    const delivery = await records.deliveries.get(id);
    if (!delivery)
      throw new ApiError('not_found', `no delivery "${id}" (it may be older than the retention)`);
    if (delivery.state !== 'failed')
      throw new ApiError(
        'conflict',
        `delivery ${id} is ${delivery.state}; only failed deliveries can be retried`,
      );
    const sink = configStore.current().sinks.get(delivery.sink);
    if (!sink) throw new ApiError('conflict', `sink "${delivery.sink}" is no longer configured`);
    const who = principalOf(res);
    const job = await queues.queueFor(sink.id).getJob(id);
    if (job && (await job.getState()) === 'failed') {
      // A dead letter the router's first attempt made fails without an attempt until this is cleared.
      if (job.data.deadLetter !== undefined) {
        const { deadLetter: _deadLetter, ...data } = job.data;
        await job.updateData(data);
      }
      await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
    } else {
      // The dead letter itself is gone (its queue kept it for less time than the API keeps records):
      // make the same notification again from the recorded event.
      const event = await records.events.get(delivery.eventId);
      if (!event)
        throw new ApiError(
          'conflict',
          `the event of delivery ${id} is no longer retained; replay cannot rebuild it`,
        );
      const options = configStore.current().routes.find((r) => r.name === delivery.route)?.options[sink.id];
      const notification: Notification = {
        id,
        route: delivery.route,
        event,
        ...(options && { options }),
        ...(delivery.replayOf !== undefined && { replayOf: delivery.replayOf }),
      };
      await queues
        .queueFor(sink.id)
        .remove(id)
        .catch(() => 0);
      await queues.add(sink, notification);
    }
    const at = now();
    const {
      state: _state,
      attempts: _attempts,
      nextAttemptAt: _next,
      error: _error,
      updatedAt: _updated,
      ...base
    } = delivery;
    await records.deliveries.update(base, {
      state: 'pending',
      attempt: { at: new Date(at).toISOString(), outcome: 'retry_requested', by: who },
      at,
    });
    await records.audit.record({
      who,
      action: 'delivery.retry',
      target: id,
      details: { sink: sink.id, route: delivery.route },
    });
    log.debug({ notification: id }, '[api] retry queued');
    res.status(202).json({ id, state: 'pending' });
  });
  return router;
}

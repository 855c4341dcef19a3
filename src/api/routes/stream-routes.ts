import type { ServerResponse } from 'node:http';
import { Router } from 'express';
import type { CiEvent } from '../../event/ci-event-schema';
import type { FeedEntry } from '../../store/create-activity-feed';
import type { Delivery } from '../../store/delivery-record';
import { compareStreamIds, isStreamId } from '../../store/stream-id';
import { ApiError } from '../api-error';
import type { ApiDeps } from '../api-deps';
import { startSse } from '../sse-writer';
import { allowOnly, eventFilterKeys, listParam, oneParam, parseEventFilter } from '../parse-query';

const streamTypes = ['ci-event', 'delivery'] as const;

/** The delivery fields the event filters apply to (a delivery carries its event's identity). */
const deliveryFields = ['source', 'provider', 'repository', 'branch', 'pipeline'] as const;

/**
 * `GET /v1/stream`: Server-Sent Events of every event and delivery change, from the Redis stream that
 * every instance writes, so a client of any instance sees everything. `Last-Event-ID` (or `lastEventId`)
 * resumes after that entry; if entries after it were trimmed, `event: reset` says to refetch.
 */
export function streamRoutes(deps: ApiDeps): { router: Router; close(): void } {
  const { records, authorize, now = Date.now } = deps;
  const router = Router();
  const open = new Set<ServerResponse>();

  router.get('/stream', authorize('read'), async (req, res) => {
    const query = req.query as Record<string, unknown>;
    allowOnly(query, [...eventFilterKeys, 'types', 'lastEventId']);
    const types = (listParam(query, 'types') ?? [...streamTypes]).flatMap((t) => t.split(','));
    for (const t of types)
      if (!(streamTypes as readonly string[]).includes(t))
        throw new ApiError('invalid_parameter', `"types" takes ${streamTypes.join(', ')}; not "${t}"`);
    const filter = parseEventFilter(query, now());
    const header = req.headers['last-event-id'];
    const lastId =
      (typeof header === 'string' && header !== '' ? header : undefined) ?? oneParam(query, 'lastEventId');
    if (lastId !== undefined && !isStreamId(lastId))
      throw new ApiError(
        'invalid_parameter',
        `Last-Event-ID "${lastId.slice(0, 40)}" is not an id this stream sent`,
      );

    const wanted = (entry: FeedEntry): boolean => {
      if (!types.includes(entry.type)) return false;
      if (entry.type === 'ci-event') return filter.test(entry.data as CiEvent);
      const delivery = entry.data as Delivery;
      return filter.route.conditions.every(({ key, test }) => {
        if (!(deliveryFields as readonly string[]).includes(key)) return true;
        const value = delivery[key as (typeof deliveryFields)[number]];
        return value !== undefined && test(value);
      });
    };

    // Subscribe before reading the backlog, so nothing falls between the two; ids drop the overlap.
    let live = false;
    // A new client starts at the stream's tip as it is now: what is written from here on is its, even
    // what lands before the live reader has started following.
    const from = lastId ?? (await records.feed.tip());
    let lastSent = from;
    const buffered: FeedEntry[] = [];
    let push: (entry: FeedEntry) => void = () => undefined;
    const send = (entry: FeedEntry) => {
      if (compareStreamIds(entry.id, lastSent) <= 0) return;
      lastSent = entry.id;
      if (wanted(entry)) push(entry);
    };
    const unsubscribe = records.feed.subscribe((entry) => (live ? send(entry) : buffered.push(entry)));
    res.once('close', () => {
      unsubscribe();
      open.delete(res);
    });
    open.add(res);
    const sse = startSse(res);
    push = (entry) => sse.send(entry.type, entry.id, entry.data);
    const backlog = await records.feed.since(from);
    if (backlog === 'reset') {
      // Only a client that asked to resume can have missed anything.
      if (lastId !== undefined) {
        const tip = await records.feed.tip();
        sse.send('reset', tip, {
          reason: 'entries after Last-Event-ID were trimmed; refetch, then follow from here',
        });
        lastSent = tip;
      }
    } else for (const entry of backlog) send(entry);
    for (const entry of buffered.splice(0)) send(entry);
    live = true;
  });

  return {
    router,
    /** Ends every open stream (shutdown: an open stream would otherwise hold the server open). */
    close() {
      for (const res of open) res.end();
      open.clear();
    },
  };
}

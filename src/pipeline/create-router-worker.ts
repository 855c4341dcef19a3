import { createHash } from 'node:crypto';
import { Queue, Worker, type ConnectionOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { ConfigStore } from '../config/config-store';
import type { SinkConfig } from '../../sinks';
import type { CiEvent } from '../event/ci-event-schema';
import type { RelayMetrics } from '../metrics/create-metrics';
import { failingStatuses } from '../event/failing-statuses';
import type { CompiledRoute } from '../routing/compiled-route';
import { matchesRoute } from '../routing/match-routes';
import {
  eventForRoute,
  formatMs,
  timeWindowReason,
  type FailureCount,
  type RouteView,
} from '../routing/noise-gates';
import { isNewerJob } from '../event/latest-jobs';
import { createRepeatState } from './repeat-state';
import { flakyJobsKey } from './flaky-jobs-key';
import { createResolveTargets } from './resolve-targets';
import type { Notification } from '../contracts/sink';
import { notificationId, notifiedKey } from './notification-keys';
import { groupQueueName } from './queue-names';
import { createGroupStore, type GroupRef } from './create-group-store';
import { createDeliveryQueues, type DeliveryQueues } from './delivery-queues';
import { eventQueueNames, hashTag, isCluster } from '../redis/keyspace';
import { createRunStateRecorder } from './record-run-state';
import { createRunStore } from './create-run-store';
import { stalledJobOptions } from './stalled-job-options';
import type { Records } from '../store/create-records';
import type { CiMetrics } from '../metrics/create-ci-metrics';
import { deliveryBase } from '../store/create-delivery-store';
import type { AttemptOutcome, DeliveryBase, DeliveryState } from '../store/delivery-record';
import { createSilenceStore, type Silence } from '../store/create-silence-store';
import { createSilenceCache } from './silence-cache';
import { consumeEventStream } from './consume-event-stream';
import { drainLegacyEventQueue } from './drain-legacy-event-queue';
import { eventStreamKeys } from './event-stream';

/** One (route, sink) an event goes to; `resolved`: only because the route told the sink of the failure. */
interface Target extends RouteView {
  route: CompiledRoute;
  sinkId: string;
  resolved: boolean;
}

/** The id of a `groupWait` window's notification: the same on every flush of the window. */
export function groupNotificationId(ref: GroupRef): string {
  const text = ['group', ref.route, ref.sink, ref.run, ref.window].join('\n');
  return `msg_${createHash('sha256').update(text).digest('hex').slice(0, 32)}`;
}

/**
 * Whether a notification whose delivery record was found in `state` (undefined: it has none) still needs
 * its job added. Delivery jobs are removed once sent, so an event routed again (its router died before
 * acknowledging it) must not add a sent notification's job a second time; a pending one is added again
 * (the same job id: a no-op while the job exists, the job itself when the crash came before it was added).
 */
function stillToSend(state: DeliveryState | undefined): boolean {
  return state === undefined || state === 'pending' || state === 'retrying';
}

/** Options of {@link createRouterWorker}. */
export interface RouterWorkerOptions {
  connection: ConnectionOptions;
  /** Non-blocking connection for the router's own keys and for adding delivery jobs. */
  redis: Redis;
  prefix: string;
  configStore: ConfigStore;
  log: Logger;
  metrics: RelayMetrics;
  /** Where events, deliveries and run board lines are recorded for the API. */
  records: Pick<Records, 'events' | 'deliveries' | 'board'>;
  /** CI metrics (build and queue times, jobs waiting) counted from each routed event. */
  ciMetrics?: CiMetrics;
  /** @defaultValue `Date.now` */
  now?: () => number;
  /** @defaultValue 16 */
  concurrency?: number;
  /** The event queues (partitions) to consume, each with its own worker. @defaultValue `['events']` */
  queueNames?: readonly string[];
  /**
   * Makes a new notification's first attempt in this process (the delivery workers' `sendNow`): true
   * once it is dealt with, false to queue it. Without it every notification is queued.
   */
  sendNow?: (notification: Notification, base: DeliveryBase) => Promise<boolean>;
  /** The sinks' delivery queues, shared with the delivery workers; the caller closes them. @defaultValue the router's own */
  queues?: DeliveryQueues;
}

/**
 * Consumes events: records run history (transition), matches routes, and adds one delivery job per
 * (route, sink) to that sink's queue. Job ids are derived from the event, so a retried routing job adds
 * nothing twice; an identical notification already sent within the dedup window is dropped.
 */
export function createRouterWorker(options: RouterWorkerOptions): {
  ready: Promise<void>;
  /** `force`: Redis is down; the group worker drops its connections instead of waiting for them. */
  close(force?: boolean): Promise<void>;
} {
  const {
    connection,
    redis,
    prefix,
    configStore,
    log,
    metrics,
    records,
    ciMetrics,
    now = Date.now,
    concurrency = 16,
    queueNames = [eventQueueNames(1, isCluster(redis))[0] as string],
    sendNow = async () => false,
  } = options;
  const recordRunState = createRunStateRecorder({ redis, prefix });
  const runs = createRunStore({
    redis,
    prefix,
    ttlSeconds: () => Math.ceil(configStore.current().retention.days * 24 * 3600),
  });
  const ownQueues = options.queues === undefined;
  const queues = options.queues ?? createDeliveryQueues({ redis, prefix });
  const resolveTargets = createResolveTargets({ redis, prefix });

  const repeats = createRepeatState({ redis, prefix });
  const silences = createSilenceStore({ redis, prefix, now });
  const silenceCache = createSilenceCache(silences);
  const groups = createGroupStore({ redis, prefix });
  // One queue of its own (a hash tag of its own on a cluster, as every queue has).
  const groupQueue = new Queue<GroupRef>(hashTag(groupQueueName, isCluster(redis)), {
    connection: redis,
    prefix,
  });
  groupQueue.on('error', (err) => log.warn({ err: err.message }, '[router] group queue error'));

  /**
   * Sends a notification whose delivery record was found in state `found` (undefined: it has none).
   * One without a record is attempted at once ({@link RouterWorkerOptions.sendNow}), which records its
   * outcome, or else recorded pending and queued. One routed again (its router died before
   * acknowledging the event) is queued if still to send: the job id makes that a no-op while its job
   * exists. A crash between a first attempt and its record sends it again, with the same id.
   */
  const send = async (
    sink: SinkConfig,
    notification: Notification,
    base: DeliveryBase,
    found: DeliveryState | undefined,
  ) => {
    if (found === undefined) {
      if (await sendNow(notification, base)) return;
      found = await records.deliveries.create(base, { state: 'pending' });
    }
    if (stillToSend(found)) await queues.add(sink, notification);
  };

  /**
   * Sends a `groupWait` window's events as one notification. Runs from a delayed job in Redis, so a
   * worker that dies during the wait loses nothing: another takes the job. Idempotent: the window's
   * events and the notification id are the same on every run of the job.
   */
  const flushGroup = async (ref: GroupRef) => {
    const config = configStore.current();
    const sink = config.sinks.get(ref.sink);
    const r = config.routes.find((candidate) => candidate.name === ref.route);
    if (!sink || !r) {
      log.warn(ref, '[router] a group of a route or sink no longer configured was dropped');
      return;
    }
    const events = await groups.flush(ref);
    const latest = events.at(-1);
    if (latest === undefined) return;
    const id = groupNotificationId(ref);
    const base = deliveryBase(id, latest, r.name, sink.id, now());
    const found = (await records.deliveries.get(id))?.state;
    const options = r.options[sink.id];
    // Sent already (a flush run again): send adds nothing, and the rest below is still done, as it is
    // for a routed event.
    await send(
      sink,
      {
        id,
        route: r.name,
        event: latest,
        runVersion: (await runs.get(latest)).version,
        ...(options && { options }),
        group: { id: ref.window, events },
      },
      base,
      found,
    );
    if (r.sendResolved && events.some((e) => failingStatuses.has(e.status)))
      await resolveTargets.notified(latest, r.name, sink.id);
    log.info(
      { route: r.name, sink: sink.id, notification: id, events: events.length },
      `[router] group of ${events.length} job event${events.length === 1 ? '' : 's'}: one notification`,
    );
  };

  /**
   * The (route, sink) pairs an event goes to, each with the event as its route sees it (`after`): those
   * of the matched routes, and for a `fixed` pipeline the sinks each `sendResolved` route told of the
   * series' failure, through that route, whether or not it matches the fix.
   */
  const routeTargets = async (
    routes: readonly CompiledRoute[],
    event: CiEvent,
    count: FailureCount | undefined,
  ): Promise<Target[]> => {
    const targets: Target[] = [];
    for (const route of routes) {
      const view = eventForRoute(route, event, count);
      if (!matchesRoute(route, view.event)) continue;
      for (const sinkId of route.sinks) targets.push({ route, sinkId, resolved: false, ...view });
      if (!route.continue) break;
    }
    if (event.transition !== 'fixed') return targets;
    for (const route of routes) {
      if (!route.sendResolved) continue;
      for (const sinkId of await resolveTargets.takeForFix(event, route.name))
        if (!targets.some((t) => t.route.name === route.name && t.sinkId === sinkId))
          targets.push({ route, sinkId, resolved: true, event: { ...event, transition: 'fixed' } });
    }
    return targets;
  };

  /** Marks a passing job flaky when the same job (by name) of its run failed before it; counts it per job name. */
  const flakyJob = async (event: CiEvent): Promise<boolean> => {
    if (event.kind !== 'job' || event.status !== 'success' || event.job === undefined) return false;
    const name = event.job.name;
    const before = (await runs.get(event)).jobs.find((j) => j.job?.name === name);
    if (!before || !failingStatuses.has(before.status) || !isNewerJob(event, before)) return false;
    await redis.zincrby(
      flakyJobsKey(prefix),
      1,
      [event.repository.name, event.pipeline.name, name].join('\n'),
    );
    return true;
  };

  const route = async (received: CiEvent) => {
    const config = configStore.current();
    const state = await recordRunState(received);
    const flaky = state?.flaky === true || (await flakyJob(received));
    const event: CiEvent = {
      ...received,
      ...(state && { transition: state.transition }),
      ...(flaky && { flaky: true }),
    };
    const targets = await routeTargets(config.routes, event, state);
    // Issued in one tick, so they leave in one write (src/redis/coalesce-writes.ts) and cost one round
    // trip with the first notification's claim: the event's records, and the silences' version when the
    // event goes anywhere. A send waits only for the run snapshot's version (each notification carries
    // it); the rest must be written before the event is acknowledged, and is awaited there.
    const runRecorded = runs.record(event);
    const written = Promise.all([
      runRecorded,
      records.events.record(event),
      records.board.apply(event),
      // Metrics are not worth failing (and retrying) the routing of an event for.
      ciMetrics
        ?.observe(event)
        .catch((err: unknown) => log.debug({ err }, '[router] CI metrics not counted')),
    ]);
    written.catch(() => undefined);
    const silencesVersion = targets.length > 0 ? silences.version() : undefined;
    silencesVersion?.catch(() => undefined);
    // The silences held in memory (read now only the first time): checked before the claim, and again
    // after it when the version read with the claim says they changed.
    let held = targets.length > 0 ? await silenceCache.current() : undefined;
    const createdAt = now();
    const at = new Date(createdAt).toISOString();
    let queued = 0;
    const sends: Promise<void>[] = [];
    // Every send settles before the event is acknowledged (or retried, when something failed).
    let settled: PromiseSettledResult<void>[] = [];
    try {
      for (const target of targets) {
        const { route: r, sinkId, resolved } = target;
        const sink = config.sinks.get(sinkId);
        if (!sink) continue;
        const id = notificationId(event, r.name, sinkId);
        const base = deliveryBase(id, event, r.name, sinkId, createdAt);
        const suppress = async (state: 'skipped' | 'silenced', outcome: AttemptOutcome, error: string) => {
          log.debug(
            { event: event.id, route: r.name, sink: sinkId, notification: id, outcome },
            `[router] not sent (${outcome}): ${error}`,
          );
          await records.deliveries.create(base, { state, attempt: { at, outcome, error } });
        };
        if (target.held !== undefined) {
          await suppress('skipped', 'after', target.held);
          continue;
        }
        const silenced = async (silence: Silence) =>
          suppress(
            'silenced',
            'silenced',
            `silence ${silence.id} by ${silence.createdBy} until ${silence.endsAt}: ${silence.comment}`,
          );
        // Held silences that say silenced are confirmed first: one expired since they were read must not.
        if (held?.match(target.event) !== undefined && silencesVersion !== undefined)
          held = await silenceCache.at(await silencesVersion);
        const silence = held?.match(target.event);
        if (silence !== undefined) {
          await silenced(silence);
          continue;
        }
        const window = timeWindowReason(r, createdAt);
        if (window !== undefined) {
          await suppress('silenced', 'muted', window);
          continue;
        }
        if (target.event.transition === 'still_failing' && r.repeatIntervalMs !== undefined) {
          const held = await repeats.held(target.event, r.name, sinkId, r.repeatIntervalMs, createdAt);
          if (held !== undefined) {
            await suppress('skipped', 'repeatInterval', held);
            continue;
          }
        }
        const contentKey = notifiedKey(prefix, event, r.name, sinkId);
        // First writer wins; the same notification (a retried routing job) still goes through. Its
        // delivery record, if it has one (an event routed again), is read in the same round trip.
        const [claimed, found, version] = await Promise.all([
          redis.set(contentKey, id, 'EX', config.notificationTtlSeconds, 'NX'),
          records.deliveries.get(id),
          silencesVersion,
        ]);
        if (claimed === null) {
          const first = await redis.get(contentKey);
          if (first !== id) {
            await suppress(
              'skipped',
              'duplicate',
              `an identical notification (${first ?? 'expired'}) was already sent for this run state`,
            );
            continue;
          }
        }
        // A silence made since the held ones were read: the claim (ours either way) is let go, so the
        // notification can go out once the silence is over.
        if (version !== undefined && held !== undefined && version > held.version) {
          held = await silenceCache.at(version);
          const late = held.match(target.event);
          if (late !== undefined) {
            await redis.del(contentKey);
            await silenced(late);
            continue;
          }
        }
        if (r.groupWaitMs > 0 && event.kind === 'job') {
          const ref = await groups.join(target.event, r.name, sinkId);
          // One delayed job per window (its id): events joining later add nothing.
          await groupQueue.add('flush', ref, {
            jobId: `g-${ref.window}`,
            delay: r.groupWaitMs,
            attempts: 10,
            backoff: { type: 'exponential', delay: 1000 },
            removeOnComplete: { age: 24 * 3600 },
            removeOnFail: { age: 7 * 24 * 3600 },
          });
          await suppress(
            'skipped',
            'grouped',
            `waits groupWait (${formatMs(r.groupWaitMs)}) with the run's other job events; sent as ${groupNotificationId(ref)}`,
          );
          continue;
        }
        const runVersion = await runRecorded;
        const options = r.options[sinkId];
        const notification: Notification = {
          id,
          route: r.name,
          event: target.event,
          runVersion,
          ...(options && { options }),
        };
        // The sinks are sent to side by side: a slow one does not hold up the others' first attempts.
        sends.push(send(sink, notification, base, found?.state));
        if (failingStatuses.has(event.status)) {
          if (r.sendResolved) await resolveTargets.notified(event, r.name, sinkId);
          if (event.kind === 'pipeline') await repeats.sent(event, r.name, sinkId, createdAt);
        }
        if (resolved)
          log.debug(
            { event: event.id, route: r.name, sink: sinkId },
            '[router] fix sent where the failure went (sendResolved)',
          );
        queued++;
      }
    } finally {
      settled = await Promise.allSettled(sends);
    }
    const failed = settled.find((s) => s.status === 'rejected');
    if (failed) throw failed.reason;
    // The event's records are written before it is acknowledged, whether or not it went anywhere.
    await written;
    metrics.routed.inc({ outcome: queued === 0 ? 'unrouted' : 'routed' });
    log.info(
      {
        event: event.id,
        routes: [...new Set(targets.map((t) => t.route.name))],
        queued,
        transition: event.transition,
      },
      `[router] ${event.id}: ${queued} notification${queued === 1 ? '' : 's'}`,
    );
  };

  // Events an earlier version left in its BullMQ event queues join the streams (a no-op once drained).
  for (const name of queueNames)
    void drainLegacyEventQueue({
      redis,
      prefix,
      queueName: name,
      keys: eventStreamKeys(prefix, name),
      log,
    }).catch((err: unknown) =>
      log.error({ err, queue: name }, '[router] moving the old event queue into its stream failed'),
    );
  const consumers = queueNames.map((name) =>
    consumeEventStream({
      redis,
      blocking: redis.duplicate(),
      keys: eventStreamKeys(prefix, name),
      handle: route,
      log,
      concurrency,
      stalledAfterMs: () => configStore.current().stalledAfterMs,
    }),
  );
  const groupWorker = new Worker<GroupRef>(groupQueue.name, async (job) => flushGroup(job.data), {
    connection,
    prefix,
    concurrency,
    ...stalledJobOptions(configStore.current().stalledAfterMs),
  });
  groupWorker.on('failed', (job, err) => log.error({ err, group: job?.id }, '[router] group flush failed'));
  groupWorker.on('error', (err) => log.error({ err }, '[router] group worker error'));
  return {
    /** Resolves once every event queue's consumer group exists and is being read. */
    ready: Promise.all(consumers.map((c) => c.ready)).then(() => undefined),
    close: async (force = false) => {
      // Forced (Redis down): the group worker does not wait for the consumers, which wait for Redis.
      const groupClosed = force ? groupWorker.close(true) : undefined;
      await Promise.all(consumers.map((c) => c.close()));
      await (groupClosed ?? groupWorker.close());
      await groupQueue.close();
      if (ownQueues) await queues.close();
    },
  };
}

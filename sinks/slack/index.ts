import { setTimeout as sleep } from 'node:timers/promises';
import { LogLevel, WebAPIPlatformError, WebClient, type Logger as SlackLogger } from '@slack/web-api';
import { Agent, fetch as undiciFetch } from 'undici';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { seriesKey } from '../../src/event/run-identity';
import { RateLimitedError, RetryableDeliveryError } from '../../src/contracts/delivery-errors';
import type { Notification, RunSnapshots, Sink, SinkDeps } from '../../src/contracts/sink';
import { createChannelRateLimiter } from './channel-rate-limiter';
import {
  defaultSlackApiUrl,
  defaultSlackPerChannelPerSecond,
  defaultSlackTimeoutMs,
  type SlackRouteOptions,
  type SlackSinkConfig,
  type SlackTemplates,
} from './config';
import {
  mentionMap,
  renderSlackMessage,
  type RenderOptions,
  type SlackMessage,
} from './render-slack-message';
import {
  renderFailureBroadcast,
  renderFixedReply,
  renderGroupReply,
  renderJobReply,
  type SlackReply,
} from './render-slack-reply';
import { createRunMessageStore, type RunMessageStore } from './run-message-store';
import { isFailing, runView } from '../template/run-view';
import { slackDeliveryError } from './slack-delivery-error';
import { compileSlackTemplates, type SlackTemplateSet } from './slack-templates';
import { attemptOf } from '../../src/event/attempt-of';

// chat.update answers these when the message is gone (deleted by someone): post a new one instead.
const messageGone: ReadonlySet<string> = new Set([
  'message_not_found',
  'cant_update_message',
  'edit_window_closed',
]);

/** The Web API client's own log lines, into ours (its debug lines hold request bodies: trace only). */
function slackLogger(log: Logger): SlackLogger {
  let level = LogLevel.DEBUG;
  return {
    debug: (...msg: unknown[]) => log.trace(msg.map(String).join(' ')),
    info: (...msg: unknown[]) => log.debug(msg.map(String).join(' ')),
    warn: (...msg: unknown[]) => log.warn(`[slack web api] ${msg.map(String).join(' ')}`),
    error: (...msg: unknown[]) => log.error(`[slack web api] ${msg.map(String).join(' ')}`),
    setLevel: (l) => {
      level = l;
    },
    getLevel: () => level,
    setName: () => undefined,
  };
}

// How long one delivery may wait in-process, in all, for its turns in the channel (its calls wait
// while holding the run's lock; this fits in the lock's 5 s of slack). A longer wait requeues it.
const maxPaceWaitMs = 2_000;

/** Waits until the next Web API call to `channel` may go, or throws RateLimitedError (requeue) when that is far off. */
type Pace = (channel: string, method: string) => Promise<void>;

/**
 * Posts one message per pipeline run and channel, and keeps it up to date with `chat.update` as the
 * run's events arrive; failed jobs are replied in its thread, and a run that turns red is broadcast to
 * the channel. Where each message is (channel id + ts), which snapshot version it shows and what was
 * replied are kept in Redis, so any number of workers, across restarts, edit the same message. Calls
 * are paced per channel (`perChannelPerSecond`), also in Redis; deliveries that call nothing take no turn.
 *
 * Without Redis and run snapshots (`ci-relay send-test`) each notification is simply posted, unpaced.
 */
export function createSlackSink(config: SlackSinkConfig, deps: SinkDeps): Sink {
  const { log, redis, runs, fetch, keyPrefix = `ci-relay:sink:${config.id}` } = deps;
  const name = `slack[${config.id}]`;
  const apiUrl = config.apiUrl ?? defaultSlackApiUrl;
  const timeoutMs = config.timeoutMs ?? defaultSlackTimeoutMs;
  const perSecond = config.perChannelPerSecond ?? defaultSlackPerChannelPerSecond;
  // The sink's own connection pool (unless a fetch was given), so that close() releases its connections.
  const agent = fetch ? undefined : new Agent({ keepAliveTimeout: 30_000, connections: 8 });
  const pooledFetch = (input: unknown, init: unknown) =>
    undiciFetch(input as string, { ...(init as object), ...(agent && { dispatcher: agent }) });
  // The relay's queue owns retries, and the sink paces its calls (below): the client must not retry or
  // wait on its own.
  const client = new WebClient(config.token, {
    slackApiUrl: apiUrl.endsWith('/') ? apiUrl : `${apiUrl}/`,
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    timeout: timeoutMs,
    logger: slackLogger(log),
    fetch: fetch ?? (pooledFetch as unknown as typeof globalThis.fetch),
  });
  const mentions = mentionMap(config.mentions);
  const templateSets = new Map<string, SlackTemplateSet>();
  const templatesFor = (overrides: SlackTemplates | undefined): SlackTemplateSet => {
    const merged = { ...config.templates, ...overrides };
    const cacheKey = JSON.stringify(merged);
    let set = templateSets.get(cacheKey);
    if (!set) {
      set = compileSlackTemplates(merged);
      templateSets.set(cacheKey, set);
    }
    return set;
  };
  // The lock outlives one delivery's calls (post or update, then a reply, and their pacing) if its
  // holder hangs, no more.
  const store = redis
    ? createRunMessageStore({ redis, keyPrefix, lockTtlMs: 3 * timeoutMs + 5_000 })
    : undefined;
  const limiter = redis ? createChannelRateLimiter({ redis, keyPrefix, perSecond }) : undefined;

  /** A delivery's pacing: waits for each call's turn in its channel, up to {@link maxPaceWaitMs} in all. */
  const pacer = (): Pace => {
    let budgetMs = maxPaceWaitMs;
    return async (channel, method) => {
      if (!limiter) return;
      const { waitMs, reserved } = await limiter.reserve(channel, budgetMs);
      if (!reserved)
        throw new RateLimitedError(
          `${name}: ${method} to ${channel}: the channel's next turn (${perSecond} a second) is ${waitMs} ms away`,
          waitMs,
          { requeue: true },
        );
      budgetMs -= waitMs;
      if (waitMs > 0) await sleep(waitMs);
    };
  };

  /** Runs one Web API call, turning its failure into a DeliveryError that names the sink and channel. */
  const call = async <T>(method: string, channel: string, run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (error) {
      throw slackDeliveryError(error, { sink: name, channel, method });
    }
  };

  const post = async (channel: string, message: SlackMessage): Promise<{ channel: string; ts: string }> => {
    const result = await call('chat.postMessage', channel, () =>
      client.chat.postMessage({ channel, ...message, unfurl_links: false, unfurl_media: false }),
    );
    if (result.channel === undefined || result.ts === undefined)
      throw new RetryableDeliveryError(
        `${name}: chat.postMessage to ${channel} answered without channel/ts`,
        'serverError',
      );
    await limiter?.learn(channel, result.channel);
    return { channel: result.channel, ts: result.ts };
  };

  const reply = async (
    pace: Pace,
    channel: string,
    ts: string,
    message: SlackReply,
    broadcast = false,
  ): Promise<void> => {
    await pace(channel, 'chat.postMessage');
    await call('chat.postMessage', channel, () =>
      client.chat.postMessage({
        channel,
        thread_ts: ts,
        text: message.text,
        unfurl_links: false,
        unfurl_media: false,
        reply_broadcast: broadcast,
      }),
    );
  };

  /**
   * Updates the message (its turn in the channel already waited for), or posts a new one when it was
   * deleted (after waiting for another turn); resolves to where it now is.
   */
  const update = async (
    pace: Pace,
    at: { channel: string; ts: string },
    configured: string,
    message: SlackMessage,
  ): Promise<{ channel: string; ts: string; reposted: boolean }> => {
    try {
      await client.chat.update({ channel: at.channel, ts: at.ts, ...message });
      return { ...at, reposted: false };
    } catch (error) {
      if (error instanceof WebAPIPlatformError && messageGone.has(error.data.error)) {
        log.info(
          { channel: at.channel, ts: at.ts, code: error.data.error },
          `[sink] ${name}: run message gone; posting a new one`,
        );
        await pace(configured, 'chat.postMessage');
        return { ...(await post(configured, message)), reposted: true };
      }
      throw slackDeliveryError(error, { sink: name, channel: at.channel, method: 'chat.update' });
    }
  };

  /** Brings the run's message in `channel` up to date with the snapshot and does this notification's thread reply. */
  const sync = async (
    notification: Notification,
    channel: string,
    render: RenderOptions,
    state: { store: RunMessageStore; runs: RunSnapshots; key: string; redis: Redis },
  ): Promise<void | 'skipped'> => {
    const { event, runVersion } = notification;
    const { store, key } = state;
    const pace = pacer();
    let message = await store.read(key);
    // Deliveries of events the message already shows (a burst that queued up behind an update) call
    // nothing for it, and take no turn in the channel.
    const outdated =
      message === undefined || runVersion === undefined || runVersion > message.renderedVersion;
    // The turn comes first, the snapshot second: the message then shows what arrived while waiting.
    if (outdated) await pace(message?.channel ?? channel, message ? 'chat.update' : 'chat.postMessage');
    const snapshot = await state.runs.get(event);
    const view = runView(snapshot, event);
    const version = Math.max(snapshot.version, runVersion ?? 0);
    const failingNow = isFailing(view.run.status);
    const done = new Set(message?.done);
    const mentioned = `mention:${view.attempt}`;
    const cardCc = `cc:${view.attempt}`;
    let sent = false;

    // A failure is shown once in the channel, and its people are mentioned once per run state.
    // The run's message is posted when the run starts and then edited in place; an edit notifies
    // nobody and the message may be far up the channel by the time the run fails. So the alert is a
    // thread reply broadcast to the channel (`reply_broadcast`): it lands where people read, next to
    // the failed jobs' replies, and carries the mention. The message itself carries the mention only
    // when it is posted already red: then it is the alert, and no broadcast follows.
    const posted = async (at: { channel: string; ts: string }) => {
      await store.posted(key, { ...at, renderedVersion: version });
      done.clear();
      if (failingNow) {
        const what = [`broadcast:${view.attempt}`, mentioned, cardCc];
        await store.markDone(key, ...what);
        for (const w of what) done.add(w);
      }
      log.debug({ run: event.pipeline.id, ...at }, `[sink] ${name}: posted the run message`);
    };

    if (message === undefined) {
      const at = await post(channel, renderSlackMessage(view, { ...render, mention: failingNow }));
      await posted(at);
      message = { ...at, renderedVersion: version, done };
      sent = true;
    } else if (outdated) {
      // Rendered from the snapshot, not from this event: the newest state wins.
      const card = { ...render, mention: done.has(cardCc) };
      const at = await update(pace, message, channel, renderSlackMessage(view, card));
      if (at.reposted) await posted(at);
      else await store.rendered(key, version);
      message = { ...message, ...at, renderedVersion: version };
      sent = true;
    } else {
      log.debug(
        { run: event.pipeline.id, runVersion, renderedVersion: message.renderedVersion },
        `[sink] ${name}: message already shows this event`,
      );
    }

    // A groupWait notification's failed jobs get one reply between them.
    const groupFailed = (notification.group?.events ?? []).filter(
      (e) =>
        e.kind === 'job' &&
        isFailing(e.status) &&
        attemptOf(e) === view.attempt &&
        !done.has(`reply:${view.attempt}:${e.job?.id ?? ''}`),
    );
    if (groupFailed.length > 0) {
      const replyRender = { ...render, mention: !done.has(mentioned) };
      await reply(pace, message.channel, message.ts, renderGroupReply(groupFailed, view.run, replyRender));
      const what = groupFailed.map((e) => `reply:${view.attempt}:${e.job?.id ?? ''}`);
      await store.markDone(key, ...what, mentioned);
      for (const w of [...what, mentioned]) done.add(w);
      sent = true;
    } else if (
      notification.group === undefined &&
      attemptOf(event) === view.attempt &&
      isFailing(event.status)
    ) {
      // Thread replies belong to this notification's own event; stale attempts stay quiet.
      const what =
        event.kind === 'job' ? `reply:${view.attempt}:${event.job?.id ?? ''}` : `broadcast:${view.attempt}`;
      if (!done.has(what)) {
        const replyRender = { ...render, mention: !done.has(mentioned) };
        if (event.kind === 'job')
          await reply(pace, message.channel, message.ts, renderJobReply(event, view.run, replyRender));
        else
          await reply(pace, message.channel, message.ts, renderFailureBroadcast(view.run, replyRender), true);
        await store.markDone(key, what, mentioned);
        done.add(what).add(mentioned);
        sent = true;
      }
    }

    // A run that passes after a failure was shown in its thread (a re-run that went green) gets a short
    // "fixed" reply, so that the failure's broadcast copy in the channel does not stand red alone.
    const fixed = `fixed:${view.attempt}`;
    const failureShown = [...done].some((d) => d.startsWith('broadcast:') || d.startsWith('reply:'));
    if (
      event.kind === 'pipeline' &&
      attemptOf(event) === view.attempt &&
      view.run.status === 'success' &&
      failureShown &&
      !done.has(fixed)
    ) {
      await reply(pace, message.channel, message.ts, renderFixedReply(view.run, render));
      await store.markDone(key, fixed);
      done.add(fixed);
      sent = true;
    }
    // Across runs: the first red run of a series (per channel) is remembered; the run that fixes the
    // series answers in that run's thread, whose broadcast copy would otherwise stand red. Both runs'
    // deliveries of one channel hold this run's lock, so one of them replies.
    if (event.kind === 'pipeline' && attemptOf(event) === view.attempt) {
      const streak = `${keyPrefix}:streak:${seriesKey(event)}:${channel}`;
      if (failingNow) await state.redis.set(streak, key, 'EX', 30 * 24 * 3600, 'NX');
      else if (event.transition === 'fixed' && view.run.status === 'success') {
        const failedKey = await state.redis.get(streak);
        if (failedKey !== null && failedKey !== key) {
          const failed = await store.read(failedKey);
          if (failed && !failed.done.has('fixed:later')) {
            await reply(pace, failed.channel, failed.ts, renderFixedReply(view.run, render));
            await store.markDone(failedKey, 'fixed:later');
            sent = true;
          }
        }
        await state.redis.del(streak);
      }
    }
    return sent ? undefined : 'skipped';
  };

  return {
    id: config.id,
    type: 'slack',
    async deliver(notification) {
      const options = notification.options as SlackRouteOptions | undefined;
      const channel = options?.channel ?? config.channel;
      const render: RenderOptions = { templates: templatesFor(options?.templates), mentions };
      const { event } = notification;
      if (!store || !runs || !redis) {
        await pacer()(channel, 'chat.postMessage');
        await post(channel, renderSlackMessage(runView(undefined, event), render));
        return;
      }
      const key = store.keyOf(event, channel);
      // One worker at a time per (run, channel): the first post must happen once, and updates in order.
      const release = await store.lock(key);
      if (!release)
        throw new RetryableDeliveryError(
          `${name}: the message of run ${event.pipeline.id} in ${channel} is busy (another worker holds its lock); will retry`,
          'timeout',
        );
      try {
        return await sync(notification, channel, render, { store, runs, key, redis });
      } finally {
        await release();
      }
    },
    async close() {
      await agent?.close();
    },
  };
}

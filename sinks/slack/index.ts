import { LogLevel, WebAPIPlatformError, WebClient, type Logger as SlackLogger } from '@slack/web-api';
import type { Logger } from 'pino';
import type { CiEvent } from '../../src/event/ci-event-schema';
import { RetryableDeliveryError } from '../delivery-errors';
import type { Notification, RunSnapshots, Sink, SinkDeps } from '../sink';
import {
  defaultSlackApiUrl,
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
import { renderFailureBroadcast, renderJobReply, type SlackReply } from './render-slack-reply';
import { createRunMessageStore, type RunMessageStore } from './run-message-store';
import { isFailing, runView } from './run-view';
import { slackDeliveryError } from './slack-delivery-error';
import { compileSlackTemplates, type SlackTemplateSet } from './slack-templates';

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

const attemptOf = (event: CiEvent) => event.pipeline.attempt ?? 1;

/**
 * Posts one message per pipeline run and channel, and keeps it up to date with `chat.update` as the
 * run's events arrive; failed jobs are replied in its thread, and a run that turns red is broadcast to
 * the channel. Where each message is (channel id + ts), which snapshot version it shows and what was
 * replied are kept in Redis, so any number of workers, across restarts, edit the same message.
 *
 * Without Redis and run snapshots (`ci-relay send-test`) each notification is simply posted.
 */
export function createSlackSink(config: SlackSinkConfig, deps: SinkDeps): Sink {
  const { log, redis, runs, fetch, keyPrefix = `ci-relay:sink:${config.id}` } = deps;
  const name = `slack[${config.id}]`;
  const apiUrl = config.apiUrl ?? defaultSlackApiUrl;
  const timeoutMs = config.timeoutMs ?? defaultSlackTimeoutMs;
  // The relay's queue owns retries and rate limiting: the client must not retry or wait on its own.
  const client = new WebClient(config.token, {
    slackApiUrl: apiUrl.endsWith('/') ? apiUrl : `${apiUrl}/`,
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    timeout: timeoutMs,
    logger: slackLogger(log),
    ...(fetch && { fetch }),
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
  // The lock outlives one delivery's calls (post or update, then a reply) if its holder hangs, no more.
  const store = redis
    ? createRunMessageStore({ redis, keyPrefix, lockTtlMs: 3 * timeoutMs + 5_000 })
    : undefined;

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
    return { channel: result.channel, ts: result.ts };
  };

  const reply = async (
    channel: string,
    ts: string,
    message: SlackReply,
    broadcast = false,
  ): Promise<void> => {
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

  /** Updates the message, or posts a new one when it was deleted; resolves to where it now is. */
  const update = async (
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
    state: { store: RunMessageStore; runs: RunSnapshots; key: string },
  ): Promise<void | 'skipped'> => {
    const { event, runVersion } = notification;
    const { store, key } = state;
    const snapshot = await state.runs.get(event);
    const view = runView(snapshot, event);
    const version = Math.max(snapshot.version, runVersion ?? 0);
    const failingNow = isFailing(view.run.status);
    let message = await store.read(key);
    const done = new Set(message?.done);
    let sent = false;

    const posted = async (at: { channel: string; ts: string }) => {
      await store.posted(key, { ...at, renderedVersion: version });
      done.clear();
      // A message posted already red needs no broadcast: it is in the channel itself.
      if (failingNow) {
        await store.markDone(key, `broadcast:${view.attempt}`);
        done.add(`broadcast:${view.attempt}`);
      }
      log.debug({ run: event.pipeline.id, ...at }, `[sink] ${name}: posted the run message`);
    };

    if (message === undefined) {
      const at = await post(channel, renderSlackMessage(view, render));
      await posted(at);
      message = { ...at, renderedVersion: version, done };
      sent = true;
    } else if (runVersion === undefined || runVersion > message.renderedVersion) {
      // Rendered from the snapshot, not from this event: the newest state wins, and deliveries of events
      // it already shows (a burst that queued up behind this one) find nothing to do below.
      const at = await update(message, channel, renderSlackMessage(view, render));
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

    // Thread replies belong to this notification's own event; stale attempts stay quiet.
    if (attemptOf(event) === view.attempt && isFailing(event.status)) {
      const what =
        event.kind === 'job' ? `reply:${view.attempt}:${event.job?.id ?? ''}` : `broadcast:${view.attempt}`;
      if (!done.has(what)) {
        if (event.kind === 'job')
          await reply(message.channel, message.ts, renderJobReply(event, view.run, render));
        else await reply(message.channel, message.ts, renderFailureBroadcast(view.run, render), true);
        await store.markDone(key, what);
        sent = true;
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
      if (!store || !runs) {
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
        return await sync(notification, channel, render, { store, runs, key });
      } finally {
        await release();
      }
    },
  };
}

import { setTimeout as sleep } from 'node:timers/promises';
import { Agent } from 'undici';
import { RateLimitedError, RetryableDeliveryError } from '../../src/contracts/delivery-errors';
import type { Notification, Sink, SinkDeps } from '../../src/contracts/sink';
import { runKey } from '../../src/event/run-identity';
import { postJson, type JsonAnswer } from '../post-json';
import { createRedisLock } from '../../src/redis/create-redis-lock';
import { summarizeRun } from '../template/run-summary';
import { defaultWebhookTimeoutMs } from '../webhook-timeout';
import type { DiscordSinkConfig } from './config';
import { renderDiscordEmbed, type DiscordEmbed } from './render-discord-embed';

/** Discord's error body: `{ message, code }`. https://discord.com/developers/docs/topics/opcodes-and-status-codes#json */
export function explainDiscordError(answer: JsonAnswer): string | undefined {
  const json = answer.json as { message?: unknown; code?: unknown } | undefined;
  if (typeof json?.message !== 'string') return undefined;
  return typeof json.code === 'number' ? `${json.message}, code ${json.code}` : json.message;
}

/** A 429's `retry_after` (seconds, fractional) from its body. https://discord.com/developers/docs/topics/rate-limits */
function discordRetryAfterMs(answer: JsonAnswer): number | undefined {
  const retryAfter = (answer.json as { retry_after?: unknown } | undefined)?.retry_after;
  return typeof retryAfter === 'number' && retryAfter >= 0 ? Math.ceil(retryAfter * 1000) : undefined;
}

// "Unknown Message": the run's message was deleted; post a new one.
const unknownMessage = 10008;

// Added to X-RateLimit-Reset-After before the next call.
const resetMarginMs = 50;

// How long a delivery may wait in-process for the webhook's bucket to refill; longer waits requeue it.
const maxPaceWaitMs = 2_000;

/**
 * Posts one message per run to a Discord webhook (`?wait=true`, so Discord answers with the message)
 * and edits it (`PATCH .../messages/<id>`) as the run's events arrive, from the router's run snapshot,
 * so the newest state wins. The message id is kept in Redis per run, so any worker, across restarts,
 * edits the same message. Discord's rate limits are honoured: a bucket that says
 * `X-RateLimit-Remaining: 0` holds the next call for `X-RateLimit-Reset-After`, and a 429's
 * `retry_after` pauses the sink and requeues the notification without using up an attempt.
 *
 * Without Redis and run snapshots (`ci-relay send-test`) each notification is simply posted.
 */
export function createDiscordSink(config: DiscordSinkConfig, deps: SinkDeps): Sink {
  const { redis, runs, log, now = Date.now, keyPrefix = `ci-relay:sink:${config.id}` } = deps;
  const name = `discord[${config.id}]`;
  const agent = new Agent({ keepAliveTimeout: 30_000, connections: 8 });
  const timeoutMs = config.timeoutMs ?? defaultWebhookTimeoutMs;
  const webhook = new URL(config.url);
  // The webhook's token is the last part of its path: /api/webhooks/<id>/<token>.
  const secrets = [webhook.pathname.split('/').filter(Boolean).pop() ?? ''];
  const executeUrl = new URL(webhook);
  executeUrl.searchParams.set('wait', 'true');
  const messageUrl = (id: string) => {
    const url = new URL(webhook);
    url.pathname = `${url.pathname.replace(/\/$/, '')}/messages/${encodeURIComponent(id)}`;
    return url;
  };
  const lock = redis ? createRedisLock(redis, { ttlMs: 3 * timeoutMs + 5_000 }) : undefined;
  const blockKey = `${keyPrefix}:blocked-until`;
  let blockedUntilHere = 0;

  /** Remembers that the webhook's bucket is empty until `until` (in Redis, so every worker waits). */
  const block = async (until: number) => {
    blockedUntilHere = Math.max(blockedUntilHere, until);
    const ms = Math.ceil(until - now());
    if (redis && ms > 0) await redis.set(blockKey, String(until), 'PX', ms);
  };
  /** Waits for the webhook's bucket, or requeues the notification when that is far off. */
  const pace = async () => {
    const shared = redis ? Number((await redis.get(blockKey)) ?? 0) : 0;
    const waitMs = Math.max(shared, blockedUntilHere) - now();
    if (waitMs <= 0) return;
    if (waitMs > maxPaceWaitMs)
      throw new RateLimitedError(`${name}: the webhook's rate limit resets in ${waitMs} ms`, waitMs, {
        requeue: true,
      });
    await sleep(waitMs);
  };
  /** Reads Discord's bucket headers after every answer. */
  const learn = async (answer: JsonAnswer) => {
    const resetAfter = Number(answer.headers['x-ratelimit-reset-after']);
    // A little over the reset: timers and the two clocks are not exact, and early is a 429.
    if (answer.headers['x-ratelimit-remaining'] === '0' && Number.isFinite(resetAfter))
      await block(now() + resetAfter * 1000 + resetMarginMs);
  };
  const call = async (url: URL, method: 'POST' | 'PATCH', body: object): Promise<JsonAnswer> => {
    await pace();
    try {
      const answer = await postJson(url, body, {
        name,
        dispatcher: agent,
        timeoutMs,
        method,
        now,
        explain: explainDiscordError,
        retryAfterMs: discordRetryAfterMs,
        secrets,
        accept: (a) =>
          method === 'PATCH' &&
          a.status === 404 &&
          explainDiscordError(a)?.endsWith(`code ${unknownMessage}`) === true,
      });
      await learn(answer);
      return answer;
    } catch (error) {
      // A rate limit says nothing about the notification: pause the sink, requeue, keep the attempt.
      if (error instanceof RateLimitedError && error.retryAfterMs !== undefined) {
        await block(now() + error.retryAfterMs);
        throw new RateLimitedError(error.message, error.retryAfterMs, {
          status: 429,
          requeue: true,
          cause: error,
        });
      }
      throw error;
    }
  };
  const post = async (embed: DiscordEmbed): Promise<string> => {
    const answer = await call(executeUrl, 'POST', {
      embeds: [embed],
      allowed_mentions: { parse: [] },
      ...(config.username && { username: config.username }),
      ...(config.avatarUrl && { avatar_url: config.avatarUrl }),
    });
    const id = (answer.json as { id?: unknown } | undefined)?.id;
    if (typeof id !== 'string')
      throw new RetryableDeliveryError(
        `${name}: Discord answered ${answer.status} without a message id`,
        'serverError',
        {
          status: answer.status,
        },
      );
    return id;
  };

  const deliverToRunMessage = async (
    notification: Notification,
    store: {
      lock: NonNullable<typeof lock>;
      redis: NonNullable<typeof redis>;
      runs: NonNullable<typeof runs>;
    },
  ): Promise<void | 'skipped'> => {
    const { event, runVersion } = notification;
    const key = `${keyPrefix}:run:${runKey(event)}`;
    // One worker at a time per run: the first post must happen once, and edits in order.
    const release = await store.lock(`${key}:lock`);
    if (!release)
      throw new RetryableDeliveryError(
        `${name}: the message of run ${event.pipeline.id} is busy (another worker holds its lock); will retry`,
        'timeout',
      );
    try {
      const saved = await store.redis.hgetall(key);
      const renderedVersion = Number(saved.renderedVersion ?? 0);
      if (saved.id !== undefined && runVersion !== undefined && runVersion <= renderedVersion) {
        log.debug(
          { run: event.pipeline.id, runVersion, renderedVersion },
          `[sink] ${name}: message already shows this event`,
        );
        return 'skipped';
      }
      // Rendered from the snapshot, not from this event: the newest state wins.
      const summary = await summarizeRun(notification, store.runs);
      const version = String(Math.max(summary.version, runVersion ?? 0));
      const embed = renderDiscordEmbed(summary);
      if (saved.id !== undefined) {
        const answer = await call(messageUrl(saved.id), 'PATCH', {
          embeds: [embed],
          allowed_mentions: { parse: [] },
        });
        if (answer.status < 300) {
          await store.redis.multi().hset(key, { renderedVersion: version }).expire(key, ttlSeconds).exec();
          return;
        }
        log.info({ run: event.pipeline.id }, `[sink] ${name}: run message gone; posting a new one`);
      }
      const id = await post(embed);
      await store.redis
        .multi()
        .del(key)
        .hset(key, { id, renderedVersion: version })
        .expire(key, ttlSeconds)
        .exec();
    } finally {
      await release();
    }
  };

  return {
    id: config.id,
    type: 'discord',
    async deliver(notification) {
      if (!redis || !runs || !lock) {
        await post(renderDiscordEmbed(await summarizeRun(notification)));
        return;
      }
      return deliverToRunMessage(notification, { lock, redis, runs });
    },
    close: () => agent.close(),
  };
}

/** Run message ids are kept this long after the run's last event: 30 days. */
const ttlSeconds = 30 * 24 * 3600;

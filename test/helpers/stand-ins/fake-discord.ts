import { field, startStandIn, type StandIn, type StandInAnswer } from './start-stand-in';

/** A message the fake channel holds. */
export interface DiscordMessage {
  id: string;
  embeds: unknown[];
  username: unknown;
  /** How many times it was edited. */
  edits: number;
}

/** A stand-in for a Discord channel webhook: execute and edit message. */
export interface FakeDiscord extends StandIn {
  url: string;
  webhookId: string;
  token: string;
  /** Messages by id, in the order they were posted. */
  messages: Map<string, DiscordMessage>;
  /** Sets the webhook's rate-limit bucket: `limit` requests per `windowMs`. */
  bucket(limit: number, windowMs: number): void;
  /** Deletes a message (as a person in the channel could). */
  deleteMessage(id: string): void;
  errorAnswer(status: number, retryAfter?: string): StandInAnswer;
}

const discordError = (
  status: number,
  message: string,
  code: number,
  headers: Record<string, string> = {},
) => ({
  status,
  headers,
  body: { message, code },
});

/**
 * Discord's webhook API: `POST /api/webhooks/<id>/<token>?wait=true` answers 200 with the message (204
 * without `wait`), `PATCH .../messages/<id>` 200 with the edited message or 404 `Unknown Message`
 * (10008). A wrong token is 401 `Invalid Webhook Token` (50027), an empty message 400 `Cannot send an
 * empty message` (50006). Every answer carries the bucket's `X-RateLimit-*` headers; past the limit
 * it answers 429 `{ message, retry_after, global }` with Retry-After.
 * https://discord.com/developers/docs/resources/webhook#execute-webhook
 * https://discord.com/developers/docs/topics/rate-limits
 */
export async function startFakeDiscord(): Promise<FakeDiscord> {
  const webhookId = '1187654321098765432';
  const token = 'dIsCoRdToKeN-x9Y8z7W6v5U4t3S2r1Q0pOnMlKjIhGfEdCbA';
  const base = `/api/webhooks/${webhookId}/${token}`;
  const messages = new Map<string, DiscordMessage>();
  let limit = 1000;
  let windowMs = 2000;
  let windowStart = Date.now();
  let used = 0;
  let nextId = 1_200_000_000_000_000_000n;

  const rateHeaders = (remaining: number): Record<string, string> => {
    // Rounded up, as Discord does: waiting this long is always enough.
    const resetAfter = Math.ceil(Math.max(0, windowStart + windowMs - Date.now())) / 1000;
    return {
      'x-ratelimit-limit': String(limit),
      'x-ratelimit-remaining': String(remaining),
      'x-ratelimit-reset': ((Date.now() + resetAfter * 1000) / 1000).toFixed(3),
      'x-ratelimit-reset-after': resetAfter.toFixed(3),
      'x-ratelimit-bucket': 'a06de3a1b5c8d2e7f9',
    };
  };
  const errorAnswer = (status: number, retryAfter?: string): StandInAnswer => {
    if (status === 429)
      return {
        status: 429,
        headers: {
          ...(retryAfter !== undefined && { 'retry-after': retryAfter }),
          'x-ratelimit-scope': 'user',
        },
        body: {
          message: 'You are being rate limited.',
          retry_after: Number(retryAfter ?? '0.25'),
          global: false,
        },
      };
    if (status === 400) return discordError(400, 'Cannot send an empty message', 50006);
    if (status === 401) return discordError(401, 'Invalid Webhook Token', 50027);
    if (status === 404) return discordError(404, 'Unknown Webhook', 10015);
    if (status === 413) return discordError(413, 'Request entity too large', 40005);
    return { status, body: { message: '500: Internal Server Error', code: 0 } };
  };

  const standIn = await startStandIn((request) => {
    if (Date.now() >= windowStart + windowMs) {
      windowStart = Date.now();
      used = 0;
    }
    if (used >= limit) {
      const retryAfter = Math.max(0.001, (windowStart + windowMs - Date.now()) / 1000);
      return {
        status: 429,
        headers: {
          ...rateHeaders(0),
          'retry-after': String(Math.ceil(retryAfter)),
          'x-ratelimit-scope': 'user',
        },
        body: {
          message: 'You are being rate limited.',
          retry_after: Number(retryAfter.toFixed(3)),
          global: false,
        },
      };
    }
    used += 1;
    const headers = rateHeaders(limit - used);
    if (!request.path.startsWith(`/api/webhooks/${webhookId}/`))
      return discordError(404, 'Unknown Webhook', 10015);
    if (!request.path.startsWith(`${base}`)) return discordError(401, 'Invalid Webhook Token', 50027);
    const embeds = field(request.json, 'embeds');
    const content = field(request.json, 'content');
    if (request.method === 'POST' && request.path === base) {
      if ((!Array.isArray(embeds) || embeds.length === 0) && typeof content !== 'string')
        return discordError(400, 'Cannot send an empty message', 50006, headers);
      nextId += 1n;
      const message: DiscordMessage = {
        id: String(nextId),
        embeds: embeds as unknown[],
        username: field(request.json, 'username'),
        edits: 0,
      };
      messages.set(message.id, message);
      if (request.query.get('wait') !== 'true') return { status: 204, headers };
      return {
        status: 200,
        headers,
        body: { id: message.id, type: 0, channel_id: '99', webhook_id: webhookId, embeds },
      };
    }
    const edit = new RegExp(`^${base}/messages/(\\d+)$`).exec(request.path);
    if (request.method === 'PATCH' && edit) {
      const message = messages.get(edit[1] ?? '');
      if (!message) return discordError(404, 'Unknown Message', 10008, headers);
      if (Array.isArray(embeds)) message.embeds = embeds;
      message.edits += 1;
      return {
        status: 200,
        headers,
        body: { id: message.id, type: 0, channel_id: '99', webhook_id: webhookId, embeds },
      };
    }
    return discordError(405, '405: Method Not Allowed', 0, headers);
  });
  return {
    ...standIn,
    url: `${standIn.origin}${base}`,
    webhookId,
    token,
    messages,
    bucket(l, w) {
      limit = l;
      windowMs = w;
      windowStart = Date.now();
      used = 0;
    },
    deleteMessage: (id) => void messages.delete(id),
    errorAnswer,
  };
}

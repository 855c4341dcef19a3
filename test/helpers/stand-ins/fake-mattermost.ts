import { startStandIn, type StandIn, type StandInAnswer } from './start-stand-in';

/** A stand-in for a Mattermost incoming webhook. */
export interface FakeMattermost extends StandIn {
  url: string;
  key: string;
  /** Posts taken, as sent. */
  posts: Array<Record<string, unknown>>;
  errorAnswer(status: number, retryAfter?: string): StandInAnswer;
}

/**
 * Answers `ok` (text/plain, 200) to a post with `text` or `attachments`; an unknown key or a post with
 * neither is 400 in Mattermost's error shape `{ id, message, detailed_error, request_id, status_code }`;
 * its rate limiter answers 429 with `X-Ratelimit-*` headers (and Retry-After).
 * https://developers.mattermost.com/integrate/webhooks/incoming/
 */
export async function startFakeMattermost(): Promise<FakeMattermost> {
  const key = 'mmhookkey8x3jq5a1b2c3d4e5f6';
  const posts: Array<Record<string, unknown>> = [];
  const error = (status: number, id: string, message: string, headers: Record<string, string> = {}) => ({
    status,
    headers,
    body: { id, message, detailed_error: '', request_id: 'r7y3k1', status_code: status },
  });
  const errorAnswer = (status: number, retryAfter?: string): StandInAnswer => {
    if (status === 429)
      return {
        status: 429,
        headers: {
          'x-ratelimit-limit': '10',
          'x-ratelimit-remaining': '0',
          'x-ratelimit-reset': retryAfter ?? '1',
          ...(retryAfter !== undefined && { 'retry-after': retryAfter }),
          'content-type': 'text/plain',
        },
        body: 'limit exceeded\n',
      };
    if (status === 401)
      return error(401, 'api.context.session_expired.app_error', 'Invalid or expired session.');
    if (status === 404) return error(404, 'api.context.404.app_error', 'Sorry, we could not find the page.');
    if (status === 413)
      return error(413, 'api.context.request_body_too_large.app_error', 'Request body too large.');
    if (status >= 500) return error(status, 'app.server.unavailable', 'The server is unavailable.');
    return error(status, 'web.incoming_webhook.invalid.app_error', 'Invalid webhook.');
  };
  const standIn = await startStandIn((request) => {
    if (request.method !== 'POST' || request.path !== `/hooks/${key}`) return errorAnswer(400);
    const post = request.json as Record<string, unknown> | undefined;
    if (!post || (post.text === undefined && post.attachments === undefined))
      return error(400, 'web.incoming_webhook.text.app_error', 'No text specified.');
    posts.push(post);
    return { status: 200, headers: { 'content-type': 'text/plain' }, body: 'ok' };
  });
  return { ...standIn, url: `${standIn.origin}/hooks/${key}`, key, posts, errorAnswer };
}

import { ErrorCode, type WebAPICallError } from '@slack/web-api';
import {
  PermanentDeliveryError,
  RateLimitedError,
  RetryableDeliveryError,
  type DeliveryError,
} from '../../src/contracts/delivery-errors';

/** Where a failed Web API call was going, for the error message. */
export interface SlackCallSite {
  /** `slack[team-slack]` */
  sink: string;
  /** The channel as configured (`#ci`) or its id. */
  channel: string;
  /** `chat.postMessage`, `chat.update` */
  method: string;
}

// Bad credentials: no retry can fix them. https://docs.slack.dev/reference/methods/chat.postMessage#errors
const authErrors: ReadonlySet<string> = new Set([
  'invalid_auth',
  'not_authed',
  'account_inactive',
  'token_revoked',
  'token_expired',
  'no_permission',
  'missing_scope',
  'not_allowed_token_type',
  'org_login_required',
  'ekm_access_denied',
  'team_access_not_granted',
  'access_denied',
]);

// The request or the channel is wrong: the same call fails the same way every time.
const clientErrors: ReadonlySet<string> = new Set([
  'channel_not_found',
  'not_in_channel',
  'is_archived',
  'msg_too_long',
  'no_text',
  'invalid_blocks',
  'invalid_blocks_format',
  'invalid_attachments',
  'too_many_attachments',
  'invalid_metadata_format',
  'invalid_metadata_schema',
  'restricted_action',
  'restricted_action_read_only_channel',
  'restricted_action_thread_only_channel',
  'restricted_action_non_threadable_channel',
  'cannot_reply_to_message',
  'message_not_found',
  'cant_update_message',
  'edit_window_closed',
  'as_user_not_supported',
  'invalid_arguments',
  'invalid_arg_name',
  'invalid_array_arg',
  'invalid_charset',
  'invalid_form_data',
  'invalid_post_type',
  'missing_post_type',
  'method_deprecated',
  'deprecated_endpoint',
  'team_not_found',
  'duplicate_channel_not_found',
  'duplicate_message_not_found',
  'slack_connect_file_link_sharing_blocked',
]);

/** What a person should do about the commonest permanent errors. */
const hints: Record<string, string> = {
  invalid_auth: 'the token is not valid; check the sink\'s "token"',
  not_authed: 'no token was sent; check the sink\'s "token"',
  token_revoked: 'the token was revoked; install the app again and update "token"',
  token_expired: 'the token expired; update "token"',
  account_inactive: 'the bot user or workspace was deactivated',
  missing_scope: 'the token lacks a scope; the app needs chat:write',
  channel_not_found: 'no such channel, or the bot cannot see it (invite it to private channels)',
  not_in_channel: 'the bot is not a member of the channel; /invite it',
  is_archived: 'the channel is archived',
};

const callErrorCodes: ReadonlySet<unknown> = new Set([
  ErrorCode.RateLimitedError,
  ErrorCode.PlatformError,
  ErrorCode.HTTPError,
  ErrorCode.RequestError,
]);
const isWebApiCallError = (error: unknown): error is WebAPICallError =>
  error instanceof Error && callErrorCodes.has((error as { code?: unknown }).code);

/**
 * The DeliveryError a failed Web API call becomes. `ratelimited` (HTTP 429) asks the relay to pause the
 * sink for Retry-After and requeue without using an attempt; bad credentials and bad channels are
 * permanent; Slack's own hiccups (`internal_error`, `fatal_error`, 5xx, network) are retried. The message
 * names the sink, the method and the channel, never the token; `cause` keeps the original.
 */
export function slackDeliveryError(error: unknown, site: SlackCallSite): DeliveryError {
  const where = `${site.sink}: ${site.method} to ${site.channel}`;
  if (!isWebApiCallError(error)) {
    // The client's own messages can hold the request URL: keep it out of ours.
    const message = (error instanceof Error ? error.message : String(error)).replace(
      /https?:\/\/[^\s,)]+/g,
      '<url>',
    );
    // A 429 without Retry-After: the client gives up with a plain Error instead of its rate-limit error.
    if (/retry header did not contain a valid timeout/i.test(message))
      return new RateLimitedError(
        `${where}: rate limited by Slack (HTTP 429 without Retry-After)`,
        undefined,
        {
          cause: error,
          status: 429,
        },
      );
    return new RetryableDeliveryError(`${where} failed: ${message}`, 'network', { cause: error });
  }
  switch (error.code) {
    case ErrorCode.RateLimitedError:
      return new RateLimitedError(
        `${where}: rate limited by Slack (retry after ${error.retryAfter} s)`,
        error.retryAfter * 1000,
        { cause: error, status: 429, requeue: true },
      );
    case ErrorCode.PlatformError: {
      const code = error.data.error;
      const hint = hints[code] !== undefined ? ` (${hints[code]})` : '';
      const message = `${where}: ${code}${hint}`;
      if (code === 'ratelimited') {
        const retryAfter = error.data.response_metadata?.retryAfter;
        return new RateLimitedError(message, retryAfter === undefined ? undefined : retryAfter * 1000, {
          cause: error,
          requeue: true,
        });
      }
      if (authErrors.has(code)) return new PermanentDeliveryError(message, 'authError', { cause: error });
      if (clientErrors.has(code)) return new PermanentDeliveryError(message, 'clientError', { cause: error });
      // internal_error, fatal_error, service_unavailable, request_timeout, and codes Slack adds later.
      return new RetryableDeliveryError(message, code === 'request_timeout' ? 'timeout' : 'serverError', {
        cause: error,
      });
    }
    case ErrorCode.HTTPError: {
      const status = error.statusCode;
      const message = `${where}: HTTP ${status}`;
      // A 429 without Retry-After (the client turns only those with one into RateLimitedError).
      if (status === 429) return new RateLimitedError(message, undefined, { cause: error, status });
      if (status === 408) return new RetryableDeliveryError(message, 'timeout', { cause: error, status });
      if (status >= 500) return new RetryableDeliveryError(message, 'serverError', { cause: error, status });
      if (status === 401 || status === 403)
        return new PermanentDeliveryError(message, 'authError', { cause: error, status });
      return new PermanentDeliveryError(message, 'clientError', { cause: error, status });
    }
    case ErrorCode.RequestError: {
      const timedOut = error.original.name === 'TimeoutError' || error.original.name === 'AbortError';
      // fetch says only "fetch failed"; the socket error (ECONNREFUSED, ...) is its cause.
      const detail = (error.original.cause as { code?: string } | undefined)?.code ?? error.original.message;
      return new RetryableDeliveryError(
        `${where}: ${timedOut ? 'no answer in time' : `request failed (${detail})`}`,
        timedOut ? 'timeout' : 'network',
        { cause: error },
      );
    }
  }
}

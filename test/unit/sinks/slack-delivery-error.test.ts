import assert from 'node:assert/strict';
import {
  WebAPIHTTPError,
  WebAPIPlatformError,
  WebAPIRateLimitedError,
  WebAPIRequestError,
} from '@slack/web-api';
import {
  PermanentDeliveryError,
  RateLimitedError,
  RetryableDeliveryError,
  type DeliveryFailureReason,
} from '../../../src/contracts/delivery-errors';
import { slackDeliveryError } from '../../../sinks/slack/slack-delivery-error';

const site = { sink: 'slack[team-slack]', channel: '#ci', method: 'chat.postMessage' };
const platform = (error: string, retryAfter?: number) =>
  new WebAPIPlatformError({
    ok: false,
    error,
    ...(retryAfter !== undefined && { response_metadata: { retryAfter } }),
  });
const timeout = Object.assign(new Error('The operation was aborted due to timeout'), {
  name: 'TimeoutError',
});
const refused = Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } });

type Expected = ['permanent' | 'retryable' | 'rateLimited', DeliveryFailureReason, RegExp?];

const table: Array<[string, unknown, Expected]> = [
  ['429 with Retry-After', new WebAPIRateLimitedError(30), ['rateLimited', 'rateLimited', /rate limited/]],
  ['platform ratelimited', platform('ratelimited', 7), ['rateLimited', 'rateLimited']],
  ['invalid_auth', platform('invalid_auth'), ['permanent', 'authError', /check the sink's "token"/]],
  ['not_authed', platform('not_authed'), ['permanent', 'authError']],
  ['token_revoked', platform('token_revoked'), ['permanent', 'authError']],
  ['account_inactive', platform('account_inactive'), ['permanent', 'authError']],
  ['missing_scope', platform('missing_scope'), ['permanent', 'authError', /chat:write/]],
  ['channel_not_found', platform('channel_not_found'), ['permanent', 'clientError', /invite/]],
  ['not_in_channel', platform('not_in_channel'), ['permanent', 'clientError', /\/invite/]],
  ['is_archived', platform('is_archived'), ['permanent', 'clientError']],
  ['msg_too_long', platform('msg_too_long'), ['permanent', 'clientError']],
  ['invalid_blocks', platform('invalid_blocks'), ['permanent', 'clientError']],
  ['no_text', platform('no_text'), ['permanent', 'clientError']],
  ['restricted_action', platform('restricted_action'), ['permanent', 'clientError']],
  ['internal_error', platform('internal_error'), ['retryable', 'serverError']],
  ['fatal_error', platform('fatal_error'), ['retryable', 'serverError']],
  ['service_unavailable', platform('service_unavailable'), ['retryable', 'serverError']],
  ['request_timeout', platform('request_timeout'), ['retryable', 'timeout']],
  ['an error code Slack adds later', platform('brand_new_error'), ['retryable', 'serverError']],
  [
    'HTTP 500',
    new WebAPIHTTPError(500, 'Internal Server Error', {}, 'oops'),
    ['retryable', 'serverError', /HTTP 500/],
  ],
  ['HTTP 503', new WebAPIHTTPError(503, 'Service Unavailable', {}), ['retryable', 'serverError']],
  ['HTTP 408', new WebAPIHTTPError(408, 'Request Timeout', {}), ['retryable', 'timeout']],
  ['HTTP 400', new WebAPIHTTPError(400, 'Bad Request', {}), ['permanent', 'clientError']],
  ['HTTP 404', new WebAPIHTTPError(404, 'Not Found', {}), ['permanent', 'clientError']],
  ['HTTP 401', new WebAPIHTTPError(401, 'Unauthorized', {}), ['permanent', 'authError']],
  ['HTTP 403', new WebAPIHTTPError(403, 'Forbidden', {}), ['permanent', 'authError']],
  ['timeout', new WebAPIRequestError(timeout), ['retryable', 'timeout', /no answer in time/]],
  ['connection refused', new WebAPIRequestError(refused), ['retryable', 'network', /ECONNREFUSED/]],
  ['anything else', new Error('boom'), ['retryable', 'network', /boom/]],
];

describe('slackDeliveryError', () => {
  for (const [name, error, [kind, reason, message]] of table) {
    it(`${name}: ${kind} (${reason})`, () => {
      const mapped = slackDeliveryError(error, site);
      if (kind === 'rateLimited') {
        assert.ok(mapped instanceof RateLimitedError, mapped.name);
        assert.equal(mapped.requeue, true, 'requeued without using an attempt');
      } else if (kind === 'retryable') {
        assert.ok(
          mapped instanceof RetryableDeliveryError && !(mapped instanceof RateLimitedError),
          mapped.name,
        );
      } else {
        assert.ok(mapped instanceof PermanentDeliveryError, mapped.name);
      }
      assert.equal(mapped.reason, reason);
      assert.equal(mapped.cause, error, 'keeps the cause');
      assert.ok(mapped.message.startsWith('slack[team-slack]: chat.postMessage to #ci'), mapped.message);
      if (message) assert.match(mapped.message, message);
    });
  }

  it('turns Retry-After seconds into milliseconds', () => {
    const mapped = slackDeliveryError(new WebAPIRateLimitedError(30), site) as RateLimitedError;
    assert.equal(mapped.retryAfterMs, 30_000);
    assert.equal(mapped.status, 429);
    assert.equal(
      (slackDeliveryError(platform('ratelimited', 7), site) as RateLimitedError).retryAfterMs,
      7000,
    );
  });

  it('keeps the HTTP status', () => {
    assert.equal(slackDeliveryError(new WebAPIHTTPError(502, 'Bad Gateway', {}), site).status, 502);
  });

  it('names the code in the message', () => {
    assert.equal(
      slackDeliveryError(platform('not_in_channel'), site).message,
      'slack[team-slack]: chat.postMessage to #ci: not_in_channel (the bot is not a member of the channel; /invite it)',
    );
  });
});

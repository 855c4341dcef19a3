import { createPublicKey, verify } from 'node:crypto';
import type { CiEventBody, CiStatus } from '../event/ci-event-schema';
import { PayloadError } from './payload-error';
import type { AuthFailure, NormalizeResult, Provider, WebhookRequest } from './provider';
import {
  compact,
  durationBetween,
  optionalInteger,
  optionalString,
  optionalTimestamp,
  requireString,
} from './read-payload';

/**
 * Travis CI's `status_message`, the words its notifications use.
 * https://docs.travis-ci.com/user/notifications/#webhooks-delivery-format
 */
export const travisStatusMessages: ReadonlyMap<string, CiStatus> = new Map<string, CiStatus>([
  // Sent when the build starts (`on_start`); its `state` tells created from started.
  ['Pending', 'running'],
  ['Passed', 'success'],
  ['Fixed', 'success'],
  ['Broken', 'failure'],
  ['Failed', 'failure'],
  ['Still Failing', 'failure'],
  ['Canceled', 'cancelled'],
  // The build could not run its script (install or setup failed, bad config): the CI broke, not the tests.
  ['Errored', 'error'],
]);

/** Travis CI build `state`s. https://developer.travis-ci.com/resource/build#Build */
export const travisStates: ReadonlyMap<string, CiStatus> = new Map<string, CiStatus>([
  ['created', 'queued'],
  ['received', 'queued'],
  ['started', 'running'],
  ['passed', 'success'],
  ['failed', 'failure'],
  ['errored', 'error'],
  ['canceled', 'cancelled'],
]);

type StatusPair = Pick<CiEventBody, 'status' | 'providerStatus'>;

/** Status from `state` (it tells queued from running), wording from `status_message` ("Still Failing"). */
function statusOf(payload: unknown): StatusPair {
  const state = optionalString(payload, 'state');
  const message = optionalString(payload, 'status_message') ?? optionalString(payload, 'result_message');
  const fromState = state === undefined ? undefined : travisStates.get(state);
  const fromMessage = message === undefined ? undefined : travisStatusMessages.get(message);
  if (state !== undefined && fromState !== undefined)
    return { status: fromState, providerStatus: message ?? state };
  if (message !== undefined && fromMessage !== undefined)
    return { status: fromMessage, providerStatus: message };
  if (state === undefined && message === undefined)
    throw new PayloadError('payload field "state" is missing', 'state');
  const [field, value] = state === undefined ? ['status_message', message] : ['state', state];
  throw new PayloadError(`payload field "${field}" has unknown value "${value}"`, field);
}

function repositoryOf(request: WebhookRequest, payload: unknown): CiEventBody['repository'] {
  const owner = optionalString(payload, 'repository.owner_name');
  const name = optionalString(payload, 'repository.name');
  const slug = owner && name ? `${owner}/${name}` : request.headers['travis-repo-slug'];
  if (!slug)
    throw new PayloadError('payload field "repository.owner_name" is missing', 'repository.owner_name');
  return compact({ name: slug, url: optionalString(payload, 'repository.url') });
}

// https://docs.travis-ci.com/user/notifications/#webhooks-delivery-format
function build(request: WebhookRequest, payload: unknown): CiEventBody {
  const repository = repositoryOf(request, payload);
  const prNumber = optionalInteger(payload, 'pull_request_number');
  const isPullRequest = prNumber !== undefined || optionalString(payload, 'type') === 'pull_request';
  const tag = optionalString(payload, 'tag');
  const startedAt = optionalTimestamp(payload, 'started_at');
  const finishedAt = optionalTimestamp(payload, 'finished_at');
  const seconds = optionalInteger(payload, 'duration');
  const author = compact({
    name: optionalString(payload, 'author_name'),
    email: optionalString(payload, 'author_email'),
  });
  return compact({
    kind: 'pipeline' as const,
    ...statusOf(payload),
    repository,
    // A tag build carries the tag's name in `branch` as well.
    ...(tag === undefined ? { branch: optionalString(payload, 'branch') } : { tag }),
    pullRequest:
      prNumber === undefined
        ? undefined
        : compact({
            number: prNumber,
            url: repository.url?.startsWith('https://github.com/')
              ? `${repository.url}/pull/${prNumber}`
              : undefined,
          }),
    commit: compact({
      // A pull request build tests a merge commit; `head_commit` is the one the author pushed.
      sha:
        (isPullRequest ? optionalString(payload, 'head_commit') : undefined) ??
        requireString(payload, 'commit'),
      message: optionalString(payload, 'message'),
      url: optionalString(payload, 'compare_url'),
      author: Object.keys(author).length > 0 ? author : undefined,
    }),
    // Travis CI has one build per push or pull request, with no name of its own.
    pipeline: compact({
      id: requireString(payload, 'id'),
      name: 'Travis CI',
      number: optionalInteger(payload, 'number'),
      url: optionalString(payload, 'build_url'),
    }),
    startedAt,
    finishedAt,
    // `duration` adds up the time of every job in the matrix; the wall-clock time is what the run took.
    durationMs:
      durationBetween(startedAt, finishedAt) ??
      (finishedAt !== undefined && seconds !== undefined ? seconds * 1000 : undefined),
  });
}

/** The `payload` form field, exactly as Travis CI signed it (URL-decoded). */
function payloadField(rawBody: Buffer): string | undefined {
  return new URLSearchParams(rawBody.toString('utf8')).get('payload') ?? undefined;
}

// https://docs.travis-ci.com/user/notifications/#verifying-webhook-requests
function verifyTravis(request: WebhookRequest, publicKey: string | undefined): AuthFailure | undefined {
  // Whitespace is dropped: Base64 as Ruby writes it by default breaks lines every 60 characters.
  const signature = (request.headers['signature'] ?? '').replace(/\s+/g, '');
  if (signature === '') return { code: 'missing_signature', message: 'Signature header is required' };
  const bad = {
    code: 'bad_signature',
    message: 'Signature does not verify with the configured public key',
  } as const;
  const payload = payloadField(request.rawBody);
  if (publicKey === undefined || payload === undefined || !/^[A-Za-z0-9+/]+={0,2}$/.test(signature))
    return bad;
  try {
    return verify(
      'sha1',
      Buffer.from(payload, 'utf8'),
      createPublicKey(publicKey),
      Buffer.from(signature, 'base64'),
    )
      ? undefined
      : bad;
  } catch {
    // An unusable key; the message says so without repeating it.
    return { code: 'bad_signature', message: 'the configured publicKey is not a usable PEM public key' };
  }
}

/** Travis CI webhook notifications: one build, form-encoded, signed with Travis CI's RSA key. */
export const travisProvider: Provider = {
  auth: ['publicKey'],
  contentTypes: ['application/x-www-form-urlencoded'],
  verify: (request, source) => verifyTravis(request, source.publicKey),
  // Travis CI sends no delivery id and its payload has no event id; a digest of the body stands in.
  deliveryHeaders: [],
  deliveryId: () => undefined,
  // The jobs in `matrix` are not reported on their own: the notification is about the build.
  normalize: (request, payload): NormalizeResult => ({ type: 'events', events: [build(request, payload)] }),
};

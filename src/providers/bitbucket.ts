import type { CiEventBody, CiStatus } from '../event/ci-event-schema';
import { verifyHmacHex } from '../verify/verify-hmac';
import { PayloadError } from './payload-error';
import type { Provider } from './provider';
import { compact, optionalString, optionalTimestamp, requireString, splitRef } from './read-payload';

/**
 * Bitbucket Cloud commit status states and the CiEvent status of each.
 * https://developer.atlassian.com/cloud/bitbucket/rest/api-group-commit-statuses/
 */
export const bitbucketStates: ReadonlyMap<string, CiStatus> = new Map<string, CiStatus>([
  // A status is only posted as INPROGRESS once a build is working on the commit.
  ['INPROGRESS', 'running'],
  ['SUCCESSFUL', 'success'],
  ['FAILED', 'failure'],
  // The build was stopped by a person or by the CI before it finished.
  ['STOPPED', 'cancelled'],
]);

const statusEvents = new Set(['repo:commit_status_created', 'repo:commit_status_updated']);

type Person = NonNullable<CiEventBody['actor']>;

function personOf(fields: { [K in keyof Person]: string | undefined }): Person | undefined {
  const person = compact(fields);
  return Object.keys(person).length > 0 ? person : undefined;
}

/**
 * The commit hash: `commit_status.commit.hash` where the payload has the commit object, otherwise the
 * last segment of `commit_status.links.commit.href` (`.../commit/<hash>`), which every status has.
 */
function commitHashOf(payload: unknown): string {
  const hash = optionalString(payload, 'commit_status.commit.hash');
  if (hash !== undefined) return hash;
  const href = requireString(payload, 'commit_status.links.commit.href');
  const match = /\/commit\/([0-9a-f]{7,64})\/?$/i.exec(href);
  if (!match?.[1]) {
    throw new PayloadError(
      'payload field "commit_status.links.commit.href" does not end in a commit hash',
      'commit_status.links.commit.href',
    );
  }
  return match[1];
}

// https://support.atlassian.com/bitbucket-cloud/docs/event-payloads/#Build-status-created
function commitStatus(payload: unknown): CiEventBody {
  const repository = compact({
    name: requireString(payload, 'repository.full_name'),
    url: optionalString(payload, 'repository.links.html.href'),
  });
  const state = requireString(payload, 'commit_status.state');
  const status = bitbucketStates.get(state);
  if (status === undefined) {
    throw new PayloadError(
      `payload field "commit_status.state" has unknown value "${state}"`,
      'commit_status.state',
    );
  }
  const key = requireString(payload, 'commit_status.key');
  const sha = commitHashOf(payload);
  return compact({
    kind: 'pipeline' as const,
    status,
    providerStatus: state,
    repository,
    // `refname` is set by builds that know their branch (Bitbucket Pipelines does); it is optional.
    ...splitRef(optionalString(payload, 'commit_status.refname')),
    commit: compact({
      sha,
      message: optionalString(payload, 'commit_status.commit.message'),
      url: repository.url && `${repository.url}/commits/${sha}`,
    }),
    // A status is keyed by (commit, key) and updated in place as its build progresses, so that pair is
    // the run: https://developer.atlassian.com/cloud/bitbucket/rest/api-group-commit-statuses/#api-repositories-workspace-repo-slug-commit-commit-statuses-build-post
    pipeline: compact({
      id: `${repository.name}:${sha}:${key}`,
      name: optionalString(payload, 'commit_status.name') ?? key,
      url: optionalString(payload, 'commit_status.url'),
    }),
    actor: personOf({
      login: optionalString(payload, 'actor.nickname'),
      name: optionalString(payload, 'actor.display_name'),
      email: undefined,
    }),
    createdAt: optionalTimestamp(payload, 'commit_status.created_on'),
    finishedAt: status === 'running' ? undefined : optionalTimestamp(payload, 'commit_status.updated_on'),
  });
}

/** Bitbucket Cloud webhooks: build (commit) status created and updated. */
export const bitbucketProvider: Provider = {
  auth: ['secrets'],
  contentTypes: ['application/json'],
  // A webhook with a secret sends `X-Hub-Signature: sha256=<hex HMAC-SHA256 of the body>`.
  // https://support.atlassian.com/bitbucket-cloud/docs/manage-webhooks/#Secure-webhooks
  verify(request, source) {
    const header = request.headers['x-hub-signature'];
    if (header === undefined || header === '') {
      return { code: 'missing_signature', message: 'X-Hub-Signature header is required' };
    }
    const hex = header.startsWith('sha256=') ? header.slice('sha256='.length) : '';
    if (!verifyHmacHex(source.secrets ?? [], request.rawBody, hex)) {
      return { code: 'bad_signature', message: 'X-Hub-Signature does not match any configured secret' };
    }
    return undefined;
  },
  // X-Request-UUID names the event delivery and is kept when Bitbucket retries it (X-Attempt-Number counts).
  // https://support.atlassian.com/bitbucket-cloud/docs/event-payloads/#HTTP-headers
  deliveryHeaders: ['x-request-uuid'],
  deliveryId: (request) => request.headers['x-request-uuid'] || undefined,
  normalize(request, payload) {
    const event = request.headers['x-event-key'];
    if (event === undefined || event === '') throw new PayloadError('X-Event-Key header is missing');
    if (!statusEvents.has(event)) {
      return { type: 'ignored', reason: `Bitbucket event "${event}" is not a CI status event` };
    }
    return { type: 'events', events: [commitStatus(payload)] };
  },
};

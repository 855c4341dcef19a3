import type { CiEventBody, CiStatus } from '../event/ci-event-schema';
import { verifyHmacHex } from '../verify/verify-hmac';
import { parseGitRemote } from './parse-git-remote';
import { PayloadError } from './payload-error';
import type { NormalizeResult, Provider } from './provider';
import {
  compact,
  durationBetween,
  optionalInteger,
  optionalString,
  optionalTimestamp,
  requireString,
  splitRef,
} from './read-payload';

/**
 * CircleCI workflow statuses. Webhooks are only sent for terminal ones (success, failed, error,
 * canceled, unauthorized); the rest are the API's, mapped so a payload carrying one still reads right.
 * https://circleci.com/docs/guides/integration/outbound-webhooks/#event-specifications
 * https://circleci.com/docs/api/v2/index.html#operation/getWorkflowById
 */
export const circleciWorkflowStatuses: ReadonlyMap<string, CiStatus> = new Map<string, CiStatus>([
  ['success', 'success'],
  ['failed', 'failure'],
  // The workflow could not run as configured (invalid config, ...): the CI broke, not the code.
  ['error', 'error'],
  ['canceled', 'cancelled'],
  // A job was refused a restricted context or a security group: nothing under test failed.
  ['unauthorized', 'error'],
  ['running', 'running'],
  // Some job failed but others still run; the run is not over, so it must not count as a finished failure yet.
  ['failing', 'running'],
  // Held at an approval job until someone approves it.
  ['on_hold', 'waiting'],
  ['not_run', 'skipped'],
]);

/**
 * CircleCI job statuses: the webhook's terminal ones (success, failed, canceled, unauthorized) and the API's others.
 * https://circleci.com/docs/api/v2/index.html#operation/getJobDetails
 */
export const circleciJobStatuses: ReadonlyMap<string, CiStatus> = new Map<string, CiStatus>([
  ['success', 'success'],
  ['failed', 'failure'],
  ['canceled', 'cancelled'],
  ['unauthorized', 'error'],
  ['timedout', 'failure'],
  // The executor failed (machine lost, image pull failed): the CI broke, not the code.
  ['infrastructure_fail', 'error'],
  ['terminated-unknown', 'error'],
  // Replaced by a rerun of the same job; this attempt's outcome no longer counts.
  ['retried', 'cancelled'],
  ['running', 'running'],
  ['queued', 'queued'],
  // Waiting for executor capacity.
  ['not_running', 'queued'],
  // Waiting for the jobs it requires.
  ['blocked', 'queued'],
  ['on_hold', 'waiting'],
  ['not_run', 'skipped'],
]);

function statusOf(payload: unknown, path: string, table: ReadonlyMap<string, CiStatus>) {
  const providerStatus = requireString(payload, path);
  // Webhooks are only sent once a workflow or job has ended: a status newer than this table still
  // means it ended, and `error` gets it noticed.
  return { status: table.get(providerStatus) ?? ('error' as const), providerStatus };
}

// GitHub OAuth and Bitbucket Cloud projects describe the commit in `pipeline.vcs`; GitLab, GitHub App and
// Bitbucket Data Center projects in `pipeline.trigger_parameters` instead.
// https://circleci.com/docs/reference/outbound-webhooks-reference/#trigger-parameters
const vcs = 'pipeline.vcs';
const git = 'pipeline.trigger_parameters.git';
const gitlab = 'pipeline.trigger_parameters.gitlab';

/** `gh/acme/api` and `github/acme/api` name the repository; `circleci/<org-id>/<project-id>` slugs do not. */
function slugPath(payload: unknown): string | undefined {
  const match = /^(?:gh|github|bb|bitbucket)\/(.+\/.+)$/.exec(optionalString(payload, 'project.slug') ?? '');
  return match?.[1];
}

function repositoryOf(payload: unknown): CiEventBody['repository'] {
  // The target is the repository being built; the origin differs only for a pull request from a fork.
  const remote = parseGitRemote(
    optionalString(payload, `${vcs}.target_repository_url`) ??
      optionalString(payload, `${vcs}.origin_repository_url`) ??
      optionalString(payload, `${gitlab}.web_url`) ??
      optionalString(payload, `${git}.checkout_url`),
  );
  const name =
    remote?.path ??
    slugPath(payload) ??
    `${requireString(payload, 'organization.name')}/${requireString(payload, 'project.name')}`;
  return compact({ name, url: remote?.web });
}

function refOf(payload: unknown): { branch?: string; tag?: string } {
  const tag = optionalString(payload, `${vcs}.tag`) ?? optionalString(payload, `${git}.tag`);
  if (tag !== undefined) return { tag };
  const branch =
    optionalString(payload, `${vcs}.branch`) ??
    optionalString(payload, `${git}.branch`) ??
    optionalString(payload, `${gitlab}.branch`);
  if (branch !== undefined) return { branch };
  return splitRef(optionalString(payload, `${git}.ref`) ?? optionalString(payload, `${gitlab}.ref`));
}

type Person = NonNullable<CiEventBody['actor']>;

function personOf(fields: { [K in keyof Person]: string | undefined }): Person | undefined {
  const person = compact(fields);
  return Object.keys(person).length > 0 ? person : undefined;
}

function commitUrl(payload: unknown, repositoryUrl: string | undefined, sha: string): string | undefined {
  if (repositoryUrl === undefined) return undefined;
  const provider = optionalString(payload, `${vcs}.provider_name`);
  if (provider === 'github') return `${repositoryUrl}/commit/${sha}`;
  if (provider === 'bitbucket') return `${repositoryUrl}/commits/${sha}`;
  if (optionalString(payload, `${gitlab}.web_url`) === repositoryUrl)
    return `${repositoryUrl}/-/commit/${sha}`;
  return undefined;
}

function commitOf(payload: unknown, repositoryUrl: string | undefined): CiEventBody['commit'] {
  const sha =
    optionalString(payload, `${vcs}.revision`) ??
    optionalString(payload, `${git}.checkout_sha`) ??
    optionalString(payload, `${gitlab}.checkout_sha`) ??
    optionalString(payload, `${gitlab}.commit_sha`);
  if (sha === undefined)
    throw new PayloadError(`payload field "${vcs}.revision" is missing`, `${vcs}.revision`);
  const subject = optionalString(payload, `${vcs}.commit.subject`);
  const body = optionalString(payload, `${vcs}.commit.body`);
  return compact({
    sha,
    message:
      subject === undefined
        ? (optionalString(payload, `${gitlab}.commit_message`) ??
          optionalString(payload, `${gitlab}.commit_title`))
        : body === undefined
          ? subject
          : `${subject}\n\n${body}`,
    url: commitUrl(payload, repositoryUrl, sha),
    author:
      personOf({
        login: undefined,
        name: optionalString(payload, `${vcs}.commit.author.name`),
        email: optionalString(payload, `${vcs}.commit.author.email`),
      }) ??
      personOf({
        login: undefined,
        name: optionalString(payload, `${gitlab}.commit_author_name`),
        email: optionalString(payload, `${gitlab}.commit_author_email`),
      }),
  });
}

/** Who pushed: only GitLab-style trigger parameters say; `pipeline.trigger` carries just its type. */
function actorOf(payload: unknown): CiEventBody['actor'] {
  return personOf({
    login: optionalString(payload, `${gitlab}.user_username`),
    name: optionalString(payload, `${gitlab}.user_name`),
    email: undefined,
  });
}

/** The fields a workflow and a job event share. */
function commonOf(payload: unknown) {
  const repository = repositoryOf(payload);
  return {
    repository,
    ...refOf(payload),
    commit: commitOf(payload, repository.url),
    actor: actorOf(payload),
  };
}

// https://circleci.com/docs/reference/outbound-webhooks-reference/#workflow-completed-for-github-and-bitbucket
function workflowCompleted(payload: unknown): CiEventBody {
  const createdAt = optionalTimestamp(payload, 'workflow.created_at');
  const finishedAt =
    optionalTimestamp(payload, 'workflow.stopped_at') ?? optionalTimestamp(payload, 'happened_at');
  return compact({
    kind: 'pipeline' as const,
    ...statusOf(payload, 'workflow.status', circleciWorkflowStatuses),
    ...commonOf(payload),
    pipeline: compact({
      id: requireString(payload, 'workflow.id'),
      name: requireString(payload, 'workflow.name'),
      number: optionalInteger(payload, 'pipeline.number'),
      url: optionalString(payload, 'workflow.url'),
    }),
    createdAt,
    finishedAt,
    // A workflow records no start of its own: it starts running as it is created.
    durationMs: durationBetween(createdAt, finishedAt),
  });
}

// https://circleci.com/docs/reference/outbound-webhooks-reference/#job-completed-for-github-and-bitbucket
function jobCompleted(payload: unknown): CiEventBody {
  const workflowUrl = optionalString(payload, 'workflow.url');
  const jobNumber = optionalInteger(payload, 'job.number');
  const startedAt = optionalTimestamp(payload, 'job.started_at');
  const finishedAt =
    optionalTimestamp(payload, 'job.stopped_at') ?? optionalTimestamp(payload, 'happened_at');
  return compact({
    kind: 'job' as const,
    ...statusOf(payload, 'job.status', circleciJobStatuses),
    ...commonOf(payload),
    // The workflow is the run a job belongs to. The reference's GitLab job-completed sample has no
    // workflow; the pipeline then stands in, which is still the same for every job in it.
    pipeline: compact({
      id: optionalString(payload, 'workflow.id') ?? requireString(payload, 'pipeline.id'),
      name: optionalString(payload, 'workflow.name') ?? 'workflow',
      number: optionalInteger(payload, 'pipeline.number'),
      url: workflowUrl,
    }),
    job: compact({
      id: requireString(payload, 'job.id'),
      name: requireString(payload, 'job.name'),
      url: workflowUrl && jobNumber !== undefined ? `${workflowUrl}/jobs/${jobNumber}` : undefined,
    }),
    startedAt,
    finishedAt,
    durationMs: durationBetween(startedAt, finishedAt),
  });
}

/** CircleCI outbound webhooks: workflow-completed and job-completed. */
export const circleciProvider: Provider = {
  auth: ['secrets'],
  contentTypes: ['application/json'],
  // https://circleci.com/docs/guides/integration/outbound-webhooks/#validate-webhooks
  verify(request, source) {
    const header = request.headers['circleci-signature'];
    if (header === undefined || header.trim() === '') {
      return { code: 'missing_signature', message: 'CircleCI-Signature header is required' };
    }
    // Only v1 is checked, even when other versions are listed, so a weaker scheme cannot be
    // substituted (downgrade). Several v1 entries may be present; any one may match.
    const v1 = header
      .split(',')
      .map((entry) => entry.trim())
      .filter((entry) => entry.startsWith('v1='))
      .map((entry) => entry.slice('v1='.length));
    if (!v1.some((hex) => verifyHmacHex(source.secrets ?? [], request.rawBody, hex))) {
      return {
        code: 'bad_signature',
        message: 'CircleCI-Signature has no v1 signature matching a configured secret',
      };
    }
    return undefined;
  },
  // CircleCI sends no delivery header; the body's `id` names the event and is the same on every retry.
  // https://circleci.com/docs/reference/outbound-webhooks-reference/#common-top-level-keys
  deliveryHeaders: [],
  deliveryId: (_request, payload) => optionalString(payload, 'id'),
  normalize(request, payload): NormalizeResult {
    const event = request.headers['circleci-event-type'] || optionalString(payload, 'type');
    if (event === undefined)
      throw new PayloadError('CircleCI-Event-Type header and body "type" are missing', 'type');
    switch (event) {
      case 'workflow-completed':
        return { type: 'events', events: [workflowCompleted(payload)] };
      case 'job-completed':
        return { type: 'events', events: [jobCompleted(payload)] };
      case 'ping':
        return { type: 'ping' };
      default:
        return { type: 'ignored', reason: `CircleCI event "${event}" is not a CI status event` };
    }
  },
};

import type { CiEventBody, CiStatus } from '../event/ci-event-schema';
import { safeEqual } from '../verify/safe-equal';
import { verifyBasicAuth } from '../verify/verify-basic-auth';
import { PayloadError } from './payload-error';
import type { AuthFailure, NormalizeResult, Provider } from './provider';
import {
  compact,
  durationBetween,
  optionalInteger,
  optionalString,
  optionalTimestamp,
  requireObject,
  requireString,
  splitRef,
} from './read-payload';

/**
 * Azure Pipelines states of a build, run or job that has not finished (lower-cased; Azure writes
 * `inProgress`, `notStarted`, ...) and the CiEvent status of each. `completed` is read with the result.
 * https://learn.microsoft.com/en-us/rest/api/azure/devops/build/builds/get#buildstatus
 * https://learn.microsoft.com/en-us/rest/api/azure/devops/pipelines/runs/get#runstate
 */
export const azureDevopsStates: ReadonlyMap<string, CiStatus> = new Map<string, CiStatus>([
  ['notstarted', 'queued'],
  // Queued behind the definition's limits (batch changes, a paused queue); nothing has run.
  ['postponed', 'queued'],
  // Not given a status yet.
  ['none', 'queued'],
  ['pending', 'queued'],
  // A job's `waiting` is waiting for an agent. https://learn.microsoft.com/en-us/azure/devops/service-hooks/events#run-job-state-changed
  ['waiting', 'queued'],
  ['inprogress', 'running'],
  ['running', 'running'],
  // Cancel was requested and the run is winding down; a completed/canceled event follows.
  ['cancelling', 'running'],
  ['canceling', 'running'],
  // Azure could not say; `error` gets that noticed rather than passing it off as progress.
  ['unknown', 'error'],
]);

/**
 * Azure Pipelines results of a completed build, run or job (lower-cased), and the CiEvent status of each.
 * https://learn.microsoft.com/en-us/rest/api/azure/devops/build/builds/get#buildresult
 * https://learn.microsoft.com/en-us/rest/api/azure/devops/build/timeline/get#taskresult
 */
export const azureDevopsResults: ReadonlyMap<string, CiStatus> = new Map<string, CiStatus>([
  ['succeeded', 'success'],
  // Some step failed with `continueOnError: true`: the pipeline's author decided that failure does not
  // fail the build, so it must not read as broken. The words keep "partiallySucceeded".
  // https://learn.microsoft.com/en-us/azure/devops/pipelines/process/tasks#task-control-options
  ['partiallysucceeded', 'success'],
  ['succeededwithissues', 'success'],
  ['failed', 'failure'],
  ['canceled', 'cancelled'],
  // XAML builds (resource version 1.0) call a cancelled build "stopped".
  ['stopped', 'cancelled'],
  ['skipped', 'skipped'],
  // Stopped by an approver or a check before it ran: nothing under test failed.
  ['rejected', 'cancelled'],
  // The agent went away mid-job: the CI broke, not the code.
  ['abandoned', 'error'],
  ['none', 'error'],
  ['unknown', 'error'],
]);

type StatusPair = Pick<CiEventBody, 'status' | 'providerStatus'>;

/**
 * The status from a state (`status` of a build, `state` of a run or job) and its `result`. XAML
 * builds (resource version 1.0) put the result itself in `status` (`succeeded`) and have no `result`.
 */
function statusOf(payload: unknown, statePath: string, resultPath: string): StatusPair {
  const state = requireString(payload, statePath);
  const result = optionalString(payload, resultPath);
  if (state.toLowerCase() === 'completed') {
    // A result newer than this table still means it is over; `error` gets it noticed.
    const mapped = result === undefined ? undefined : azureDevopsResults.get(result.toLowerCase());
    return { status: mapped ?? 'error', providerStatus: result === undefined ? state : `${state}/${result}` };
  }
  const unfinished = azureDevopsStates.get(state.toLowerCase());
  if (unfinished !== undefined) return { status: unfinished, providerStatus: state };
  const legacyResult = azureDevopsResults.get(state.toLowerCase());
  if (legacyResult !== undefined) return { status: legacyResult, providerStatus: state };
  throw new PayloadError(`payload field "${statePath}" has unknown value "${state}"`, statePath);
}

/** Where the run came from: `refs/heads/x`, `refs/tags/v1`, or `refs/pull/<n>/merge` for a pull request build. */
function refOf(ref: string | undefined, pullRequestBranch: string | undefined) {
  const pull = ref === undefined ? null : /^refs\/pull\/(\d+)\/merge$/.exec(ref);
  if (pull?.[1] !== undefined) {
    return { ...splitRef(pullRequestBranch), pullRequest: { number: Number(pull[1]) } };
  }
  return splitRef(ref);
}

type Person = NonNullable<CiEventBody['actor']>;

/** An Azure identity: `uniqueName` is the sign-in name, an email address for most accounts. */
function identityOf(payload: unknown, path: string): Person | undefined {
  const uniqueName = optionalString(payload, `${path}.uniqueName`);
  const person = compact({
    login: uniqueName,
    name: optionalString(payload, `${path}.displayName`),
    email: uniqueName !== undefined && /^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(uniqueName) ? uniqueName : undefined,
  });
  return Object.keys(person).length > 0 ? person : undefined;
}

const zeroGuid = /^0{8}-0{4}-0{4}-0{4}-0{12}$/;

/**
 * A repository's name: Azure Repos Git repositories live in a project, so they are `project/repo`
 * (as in `dev.azure.com/org/project/_git/repo`); GitHub and Bitbucket repositories are already
 * `owner/repo`. Without a repository (XAML builds), the project stands in.
 */
function repositoryNameOf(payload: unknown, repositoryPath: string, projectName: string | undefined): string {
  const type = optionalString(payload, `${repositoryPath}.type`)?.toLowerCase();
  const name =
    optionalString(payload, `${repositoryPath}.fullName`) ??
    optionalString(payload, `${repositoryPath}.name`);
  if (name !== undefined) {
    const inProject = type === 'tfsgit' || type === 'azurereposgit';
    return inProject && projectName !== undefined && !name.includes('/') ? `${projectName}/${name}` : name;
  }
  const stable =
    projectName ??
    optionalString(payload, `${repositoryPath}.id`) ??
    optionalString(payload, 'resourceContainers.project.id');
  if (stable === undefined) {
    throw new PayloadError(`payload field "${repositoryPath}.name" is missing`, `${repositoryPath}.name`);
  }
  return stable;
}

/** A repository's web URL, without the `user@` Azure puts in clone URLs or a `.git` suffix; never an API URL. */
function repositoryUrlOf(payload: unknown, repositoryPath: string): string | undefined {
  const url = optionalString(payload, `${repositoryPath}.url`);
  if (url === undefined || !URL.canParse(url)) return undefined;
  const parsed = new URL(url);
  if (!/^https?:$/.test(parsed.protocol) || parsed.pathname.includes('/_apis/')) return undefined;
  parsed.username = '';
  parsed.password = '';
  return parsed.toString().replace(/\.git$/, '');
}

/** Azure Repos and GitHub both show a commit at `<repository>/commit/<sha>`. */
function commitUrlOf(payload: unknown, repositoryPath: string, sha: string): string | undefined {
  const type = optionalString(payload, `${repositoryPath}.type`)?.toLowerCase();
  const url = repositoryUrlOf(payload, repositoryPath);
  const known =
    type === 'tfsgit' || type === 'azurereposgit' || type === 'github' || type === 'githubenterprise';
  return url !== undefined && known ? `${url}/commit/${sha}` : undefined;
}

/** The build's results page, from `_links.web`, or else made from its REST URL. */
function buildWebUrlOf(payload: unknown): string | undefined {
  const web = optionalString(payload, 'resource._links.web.href');
  if (web !== undefined) return web;
  const api = optionalString(payload, 'resource.url');
  const match =
    api === undefined ? null : /^(https:\/\/.+?)\/_apis\/build(?:-release)?\/Builds\/(\d+)$/i.exec(api);
  return match ? `${match[1]}/_build/results?buildId=${match[2]}` : undefined;
}

// https://learn.microsoft.com/en-us/azure/devops/service-hooks/events#build.complete
function buildComplete(payload: unknown): CiEventBody {
  const id = requireString(payload, 'resource.id');
  const projectName = optionalString(payload, 'resource.project.name');
  // XAML builds name their source `LG:<ref>:<sha>` in sourceGetVersion, with no sourceBranch/sourceVersion.
  const legacy = /^LG:(.+):([0-9a-f]{40})$/i.exec(optionalString(payload, 'resource.sourceGetVersion') ?? '');
  const sha = optionalString(payload, 'resource.sourceVersion') ?? legacy?.[2];
  if (sha === undefined) {
    throw new PayloadError('payload field "resource.sourceVersion" is missing', 'resource.sourceVersion');
  }
  // triggerInfo's keys contain dots (`pr.sourceBranch`), so it is read as an object.
  const triggerInfo = optionalObject(payload, 'resource.triggerInfo');
  const prBranch = triggerInfo?.['pr.sourceBranch'];
  const startedAt = optionalTimestamp(payload, 'resource.startTime');
  const finishedAt = optionalTimestamp(payload, 'resource.finishTime');
  return compact({
    kind: 'pipeline' as const,
    ...statusOf(payload, 'resource.status', 'resource.result'),
    repository: compact({
      name: repositoryNameOf(payload, 'resource.repository', projectName),
      url: repositoryUrlOf(payload, 'resource.repository'),
    }),
    ...refOf(
      optionalString(payload, 'resource.sourceBranch') ?? legacy?.[1],
      typeof prBranch === 'string' ? prBranch : undefined,
    ),
    commit: compact({
      sha,
      url: commitUrlOf(payload, 'resource.repository', sha),
    }),
    pipeline: compact({
      id,
      name: optionalString(payload, 'resource.definition.name') ?? 'build',
      // buildNumber follows the definition's format (`20241202.1` by default); only a plain number is one.
      number: optionalInteger(payload, 'resource.buildNumber'),
      url: buildWebUrlOf(payload),
    }),
    actor:
      identityOf(payload, 'resource.requestedFor') ?? identityOf(payload, 'resource.requests.0.requestedFor'),
    createdAt: optionalTimestamp(payload, 'resource.queueTime'),
    startedAt,
    finishedAt,
    durationMs: durationBetween(startedAt, finishedAt),
  });
}

function optionalObject(payload: unknown, path: string): Readonly<Record<string, unknown>> | undefined {
  try {
    return requireObject(payload, path);
  } catch {
    return undefined;
  }
}

/**
 * The commit of a YAML pipeline run: `run.resources.repositories.self`, which the service hook sends
 * as the Runs API has it. https://learn.microsoft.com/en-us/rest/api/azure/devops/pipelines/runs/get#repositoryresource
 */
const selfRepository = 'resource.run.resources.repositories.self';

function runSource(payload: unknown) {
  const sha = requireString(payload, `${selfRepository}.version`);
  const repositoryPath = `${selfRepository}.repository`;
  const variables = optionalObject(payload, 'resource.run.variables');
  const prBranch = optionalString(variables?.['system.pullRequest.sourceBranch'], 'value');
  return {
    repository: compact({
      name: repositoryNameOf(payload, repositoryPath, optionalString(payload, 'resource.project.name')),
      url: repositoryUrlOf(payload, repositoryPath),
    }),
    ...refOf(optionalString(payload, `${selfRepository}.refName`), prBranch),
    commit: compact({ sha, url: commitUrlOf(payload, repositoryPath, sha) }),
  };
}

function runPipeline(payload: unknown): CiEventBody['pipeline'] {
  return compact({
    id: requireString(payload, 'resource.run.id'),
    name:
      optionalString(payload, 'resource.pipeline.name') ??
      optionalString(payload, 'resource.run.pipeline.name') ??
      'pipeline',
    // A run's `name` is its build number (`20241202.1` by default); only a plain number is one.
    number: optionalInteger(payload, 'resource.run.name'),
    url: optionalString(payload, 'resource.run._links.web.href'),
  });
}

// https://learn.microsoft.com/en-us/azure/devops/service-hooks/events#run.statechanged
function runStateChanged(payload: unknown): CiEventBody {
  const state = statusOf(payload, 'resource.run.state', 'resource.run.result');
  const finished = optionalString(payload, 'resource.run.state')?.toLowerCase() === 'completed';
  return compact({
    kind: 'pipeline' as const,
    ...state,
    ...runSource(payload),
    pipeline: runPipeline(payload),
    createdAt: optionalTimestamp(payload, 'resource.run.createdDate'),
    finishedAt: finished ? optionalTimestamp(payload, 'resource.run.finishedDate') : undefined,
  });
}

// https://learn.microsoft.com/en-us/azure/devops/service-hooks/events#run-job-state-changed
function jobStateChanged(payload: unknown): CiEventBody {
  const startedAt = optionalTimestamp(payload, 'resource.job.startTime');
  const finishedAt = optionalTimestamp(payload, 'resource.job.finishTime');
  const stage =
    optionalString(payload, 'resource.stage.displayName') ?? optionalString(payload, 'resource.stage.name');
  return compact({
    kind: 'job' as const,
    ...statusOf(payload, 'resource.job.state', 'resource.job.result'),
    ...runSource(payload),
    pipeline: runPipeline(payload),
    job: compact({
      id: requireString(payload, 'resource.job.id'),
      name: requireString(payload, 'resource.job.name'),
      url: optionalString(payload, 'resource.job._links.web.href'),
      // A pipeline without stages has one implicit stage named `__default`.
      stage: stage === '__default' ? undefined : stage,
    }),
    startedAt,
    finishedAt,
    durationMs: durationBetween(startedAt, finishedAt),
  });
}

function normalizeEvent(eventType: string, payload: unknown): NormalizeResult {
  const one = (body: CiEventBody): NormalizeResult => ({ type: 'events', events: [body] });
  switch (eventType) {
    case 'build.complete':
      return one(buildComplete(payload));
    case 'ms.vss-pipelines.run-state-changed-event':
      return one(runStateChanged(payload));
    case 'ms.vss-pipelines.job-state-changed-event':
      return one(jobStateChanged(payload));
    case 'ms.vss-pipelines.stage-state-changed-event':
      // A stage is neither a whole run nor one job; run and job state changes already tell its story.
      return {
        type: 'ignored',
        reason: 'Azure DevOps stage state changes are not normalized; subscribe to run or job state changes',
      };
    default:
      return { type: 'ignored', reason: `Azure DevOps event "${eventType}" is not a CI status event` };
  }
}

/** Azure DevOps service hooks (Web Hooks): build completed, and pipeline run and job state changes. */
export const azureDevopsProvider: Provider = {
  auth: ['basicAuth', 'requiredHeaders'],
  contentTypes: ['application/json'],
  // The Web Hooks consumer offers basic authentication and extra HTTP headers; it does not sign bodies.
  // Every configured mechanism must pass.
  // https://learn.microsoft.com/en-us/azure/devops/service-hooks/services/webhooks
  verify(request, source) {
    const results: (AuthFailure | undefined)[] = [];
    if (source.basicAuth !== undefined) {
      const header = request.headers['authorization'];
      results.push(
        header === undefined || header === ''
          ? { code: 'missing_signature', message: 'Authorization header (Basic) is required' }
          : verifyBasicAuth(header, source.basicAuth)
            ? undefined
            : { code: 'bad_signature', message: 'Basic credentials do not match the configured ones' },
      );
    }
    for (const [name, expected] of Object.entries(source.requiredHeaders ?? {})) {
      const offered = request.headers[name.toLowerCase()];
      results.push(
        offered === undefined || offered === ''
          ? { code: 'missing_signature', message: `${name} header is required` }
          : safeEqual(offered, expected)
            ? undefined
            : { code: 'bad_signature', message: `${name} header does not have the configured value` },
      );
    }
    if (results.length === 0) {
      return { code: 'bad_signature', message: 'the source has no basicAuth or requiredHeaders configured' };
    }
    // A wrong credential says more than an absent one, so it is reported first.
    return results.find((r) => r !== undefined && r.code !== 'missing_signature') ?? results.find(Boolean);
  },
  // Azure sends no delivery header. The body's `id` is the event's id, the same when Azure retries the
  // notification; the all-zero id of sample and test notifications would make them all one delivery.
  deliveryHeaders: [],
  deliveryId(_request, payload) {
    const id = optionalString(payload, 'id');
    return id === undefined || zeroGuid.test(id) ? undefined : id;
  },
  normalize(_request, payload) {
    return normalizeEvent(requireString(payload, 'eventType'), payload);
  },
};

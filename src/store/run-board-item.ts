import { Type, type Static } from '@sinclair/typebox';
import {
  ciStatuses,
  providerNames,
  transitions,
  type CiEvent,
  type CiStatus,
} from '../event/ci-event-schema';
import { stringEnum } from '../event/string-enum';
import { stateRank } from '../pipeline/create-run-store';

const dateTime = (description: string) => Type.Optional(Type.String({ format: 'date-time', description }));

/** One job on a board line: the latest state of the job of that name in the run. */
export const boardJobSchema = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    status: stringEnum(ciStatuses),
    attempt: Type.Integer({ minimum: 1 }),
    url: Type.Optional(Type.String()),
    stage: Type.Optional(Type.String()),
    createdAt: dateTime('when the job was created'),
    startedAt: dateTime('when it started'),
    finishedAt: dateTime('when it finished'),
    durationMs: Type.Optional(Type.Integer({ minimum: 0 })),
    updatedAt: Type.String({ format: 'date-time' }),
    /** Ordering key of this state; not shown in the API. */
    rank: Type.Optional(Type.Number()),
  },
  { additionalProperties: false },
);
/** One job on a board line. */
export type BoardJob = Static<typeof boardJobSchema>;

/** One line of the run board: the latest run of one pipeline on one branch. */
export const runItemSchema = Type.Object(
  {
    id: Type.String({ description: 'the series id: (provider, repository, pipeline name, branch or tag)' }),
    source: Type.String(),
    provider: stringEnum(providerNames),
    repository: Type.String(),
    repositoryUrl: Type.Optional(Type.String()),
    pipeline: Type.String({ description: 'pipeline name' }),
    branch: Type.Optional(Type.String()),
    tag: Type.Optional(Type.String()),
    runId: Type.String({ description: 'the latest run: pipeline.id' }),
    number: Type.Optional(Type.Integer({ minimum: 0 })),
    attempt: Type.Integer({ minimum: 1 }),
    status: stringEnum(ciStatuses),
    transition: Type.Optional(stringEnum(transitions)),
    url: Type.Optional(Type.String()),
    commit: Type.Object(
      { sha: Type.String(), message: Type.Optional(Type.String()), url: Type.Optional(Type.String()) },
      { additionalProperties: false },
    ),
    actor: Type.Optional(Type.String()),
    createdAt: dateTime('when the run was created'),
    startedAt: dateTime('when it started'),
    finishedAt: dateTime('when it finished'),
    durationMs: Type.Optional(Type.Integer({ minimum: 0 })),
    updatedAt: Type.String({ format: 'date-time', description: 'when the relay last heard of the run' }),
    jobs: Type.Array(boardJobSchema),
  },
  { additionalProperties: false, $id: 'https://ci-relay.dev/schemas/run.json', title: 'Run' },
);
/** One line of the run board. */
export type RunItem = Static<typeof runItemSchema>;

/** How a board line is stored: jobs by name, and the rank of the pipeline's own state. */
export interface StoredRunItem extends Omit<RunItem, 'jobs'> {
  jobs: Record<string, BoardJob>;
  /** Rank of the last pipeline event applied; absent while only job events were seen. */
  pipelineRank?: number;
}

const finished = new Set<CiStatus>(['success', 'failure', 'cancelled', 'skipped', 'error']);

/** Orders runs of one series: run number when both have one, else when they were created or first seen. */
function runOrder(event: CiEvent): [number, string] {
  return [event.pipeline.number ?? -1, event.createdAt ?? event.startedAt ?? event.receivedAt];
}

function isNewerRun(event: CiEvent, item: StoredRunItem): boolean {
  const [number, created] = runOrder(event);
  if (number >= 0 && item.number !== undefined && number !== item.number) return number > item.number;
  return created >= (item.createdAt ?? item.startedAt ?? item.updatedAt);
}

/** Orders two jobs of one name: a later attempt, then a later-created job (GitLab gives a retry a new id). */
function jobOrder(job: Pick<BoardJob, 'attempt' | 'createdAt' | 'startedAt' | 'updatedAt'>): string {
  return `${String(job.attempt).padStart(6, '0')} ${job.createdAt ?? job.startedAt ?? job.updatedAt}`;
}

function boardJob(event: CiEvent, job: NonNullable<CiEvent['job']>): BoardJob {
  return {
    id: job.id,
    name: job.name,
    status: event.status,
    attempt: event.pipeline.attempt ?? 1,
    ...(job.url !== undefined && { url: job.url }),
    ...(job.stage !== undefined && { stage: job.stage }),
    ...(event.createdAt !== undefined && { createdAt: event.createdAt }),
    ...(event.startedAt !== undefined && { startedAt: event.startedAt }),
    ...(event.finishedAt !== undefined && { finishedAt: event.finishedAt }),
    ...(event.durationMs !== undefined && { durationMs: event.durationMs }),
    updatedAt: event.receivedAt,
    rank: stateRank(event),
  };
}

function newItem(series: string, event: CiEvent): StoredRunItem {
  return {
    id: series,
    source: event.source,
    provider: event.provider,
    repository: event.repository.name,
    ...(event.repository.url !== undefined && { repositoryUrl: event.repository.url }),
    pipeline: event.pipeline.name,
    ...(event.branch !== undefined && { branch: event.branch }),
    ...(event.tag !== undefined && { tag: event.tag }),
    runId: event.pipeline.id,
    ...(event.pipeline.number !== undefined && { number: event.pipeline.number }),
    attempt: event.pipeline.attempt ?? 1,
    // A run first heard of through a job is under way.
    status: event.kind === 'pipeline' ? event.status : 'running',
    commit: {
      sha: event.commit.sha,
      ...(event.commit.message !== undefined && { message: event.commit.message.split('\n')[0] ?? '' }),
      ...(event.commit.url !== undefined && { url: event.commit.url }),
    },
    ...(event.pipeline.url !== undefined && { url: event.pipeline.url }),
    ...(event.kind === 'pipeline' && event.createdAt !== undefined && { createdAt: event.createdAt }),
    updatedAt: event.receivedAt,
    jobs: {},
  };
}

/**
 * The board line after `event`, or undefined when the event changes nothing (it belongs to an older
 * run, or is an older state than the one shown). Pure: the caller stores the result atomically.
 * A job replaces the earlier job of the same name (a GitLab retry, a GitHub re-run of failed jobs), so
 * the line lists the jobs as they ended, including those that passed before and were not re-run.
 */
export function nextRunItem(
  series: string,
  current: StoredRunItem | undefined,
  event: CiEvent,
): StoredRunItem | undefined {
  let item: StoredRunItem;
  if (!current) item = newItem(series, event);
  else if (current.runId !== event.pipeline.id) {
    if (!isNewerRun(event, current)) return undefined;
    item = newItem(series, event);
  } else item = { ...current, jobs: { ...current.jobs } };

  const rank = stateRank(event);
  item.updatedAt = event.receivedAt > item.updatedAt ? event.receivedAt : item.updatedAt;
  if (event.kind === 'pipeline') {
    if (item.pipelineRank !== undefined && rank < item.pipelineRank) return undefined;
    item.pipelineRank = rank;
    item.status = event.status;
    item.attempt = Math.max(item.attempt, event.pipeline.attempt ?? 1);
    if (event.transition !== undefined) item.transition = event.transition;
    else if (!finished.has(event.status)) delete item.transition;
    if (event.pipeline.url !== undefined) item.url = event.pipeline.url;
    if (event.pipeline.number !== undefined) item.number = event.pipeline.number;
    if (event.actor?.login ?? event.actor?.name)
      item.actor = (event.actor.login ?? event.actor.name) as string;
    for (const key of ['createdAt', 'startedAt', 'finishedAt', 'durationMs'] as const) {
      const value = event[key];
      if (value !== undefined) (item as unknown as Record<string, unknown>)[key] = value;
    }
    if (!finished.has(event.status)) {
      delete item.finishedAt;
      delete item.durationMs;
    }
    return item;
  }

  const job = event.job;
  if (!job) return undefined;
  const next = boardJob(event, job);
  const before = item.jobs[job.name];
  if (before) {
    const sameJob = before.id === job.id && before.attempt === next.attempt;
    if (sameJob ? (before.rank ?? 0) > rank : jobOrder(before) > jobOrder(next)) return undefined;
    // A state of the same job keeps when it was first created or started.
    if (sameJob) {
      if (!next.createdAt && before.createdAt) next.createdAt = before.createdAt;
      if (!next.startedAt && before.startedAt) next.startedAt = before.startedAt;
    }
  }
  item.jobs[job.name] = next;
  item.attempt = Math.max(item.attempt, next.attempt);
  // A re-run of some jobs puts a finished run back under way until its pipeline event says otherwise.
  if (!finished.has(event.status) && finished.has(item.status)) {
    item.status = 'running';
    delete item.transition;
  }
  return item;
}

/** A stored line as the API shows it: jobs as a list in the order they were created, no ranks. */
export function toRunItem(stored: StoredRunItem): RunItem {
  const { jobs, pipelineRank: _rank, ...rest } = stored;
  const list = Object.values(jobs)
    .sort((a, b) =>
      (a.createdAt ?? a.startedAt ?? a.updatedAt).localeCompare(b.createdAt ?? b.startedAt ?? b.updatedAt),
    )
    .map(({ rank: _r, ...job }) => job);
  return { ...rest, jobs: list };
}

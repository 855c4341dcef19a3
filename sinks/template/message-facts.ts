import type { CiEvent, CiStatus } from '../../src/event/ci-event-schema';
import { formatDuration } from './compile-template';
import { attemptOf } from '../../src/event/attempt-of';

/** How a status reads in a sentence: "CI failed on main". */
export const statusWords: Record<CiStatus, string> = {
  queued: 'is queued',
  waiting: 'is waiting',
  running: 'is running',
  success: 'passed',
  failure: 'failed',
  cancelled: 'was cancelled',
  skipped: 'was skipped',
  error: 'errored',
};

/** The facts every notification shows, whatever the medium, ready for templates. */
export interface MessageFacts {
  /** `[acme/web] CI failed on main: #1234 "Fix login"` */
  headline: string;
  /** `failed`, `passed`, `is running`, ... */
  statusWord: string;
  /** `fixed` / `broken` / `still failing` / ... when the router set a transition. */
  transitionWord: string | undefined;
  /** `main`, `tag v1.2.0`, or `PR #12`; absent when the event has none. */
  where: string | undefined;
  /** `CI #1234` (with `(attempt 2)` after a re-run). */
  pipelineLabel: string;
  shortSha: string;
  /** First line of the commit message. */
  commitTitle: string | undefined;
  /** Commit author name, else login, else email. */
  author: string | undefined;
  /** Who triggered the run. */
  actor: string | undefined;
  duration: string | undefined;
  /** Link to the job or run, the best there is. */
  url: string | undefined;
}

/** Facts of `event` for message templates. */
export function messageFacts(event: CiEvent): MessageFacts {
  const where = event.pullRequest
    ? `PR #${event.pullRequest.number}`
    : (event.branch ?? (event.tag !== undefined ? `tag ${event.tag}` : undefined));
  const number = event.pipeline.number !== undefined ? ` #${event.pipeline.number}` : '';
  const attempt = attemptOf(event) > 1 ? ` (attempt ${attemptOf(event)})` : '';
  const pipelineLabel = `${event.pipeline.name}${number}${attempt}`;
  const commitTitle = event.commit.message?.split('\n')[0]?.trim() || undefined;
  const subject =
    event.kind === 'job' && event.job ? `${event.pipeline.name} / ${event.job.name}` : event.pipeline.name;
  const headline =
    `[${event.repository.name}] ${subject} ${statusWords[event.status]}${where ? ` on ${where}` : ''}` +
    `${number ? `:${number}` : ''}${commitTitle ? ` "${commitTitle}"` : ''}`;
  const author = event.commit.author;
  return {
    headline,
    statusWord: statusWords[event.status],
    transitionWord: event.transition?.replace('_', ' '),
    where,
    pipelineLabel,
    shortSha: event.commit.sha.slice(0, 7),
    commitTitle,
    author: author?.name ?? author?.login ?? author?.email,
    actor: event.actor?.login ?? event.actor?.name,
    duration: event.durationMs !== undefined ? formatDuration(event.durationMs) : undefined,
    url: event.job?.url ?? event.pipeline.url,
  };
}

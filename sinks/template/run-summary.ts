import type { RunSnapshots, Notification } from '../../src/contracts/sink';
import type { CiEvent, CiStatus } from '../../src/event/ci-event-schema';
import { formatDuration } from './compile-template';
import { messageFacts, type MessageFacts } from './message-facts';
import { isFailing, runView } from './run-view';

/** A link a message offers: the run, the commit, the pull request. */
export interface SummaryLink {
  title: string;
  url: string;
}

/** A failed job of the run's latest attempt. */
export interface FailedJob {
  name: string;
  url: string | undefined;
  /** `4m 1s` */
  duration: string | undefined;
}

/**
 * The facts every chat sink shows (the same as the Slack message): a headline for this notification's
 * event, and the run as the router's snapshot has it: its status, repository, branch, run, commit,
 * the failed jobs of its latest attempt, and links.
 */
export interface RunSummary {
  /** The event's own headline: `[acme/web] CI failed on main: #1234 "Fix login"`. */
  headline: string;
  /** The run (latest attempt) as its snapshot shows it. */
  run: CiEvent;
  /** Facts of {@link run}. */
  facts: MessageFacts;
  status: CiStatus;
  /** `Branch` / `Tag` / `Pull request` and its value; undefined when the event has none. */
  where: { label: string; value: string; url: string | undefined } | undefined;
  failedJobs: FailedJob[];
  /** Jobs of the latest attempt, counted by outcome: `{ failed: 1, passed: 4 }` (no zeros). */
  jobCounts: Record<string, number>;
  links: SummaryLink[];
  /** `#E01E5A`-style colour of the status. */
  color: string;
  /** Version of the run snapshot the summary was made from (0 without one). */
  version: number;
}

/** Colour per status: green, red, yellow for errors, grey for cancelled/skipped, blue while running. */
export const statusColors: Record<CiStatus, string> = {
  success: '#2EB67D',
  failure: '#E01E5A',
  error: '#ECB22E',
  cancelled: '#616061',
  skipped: '#A0A0A0',
  running: '#36C5F0',
  queued: '#36C5F0',
  waiting: '#36C5F0',
};

const countLabels: Array<[string, readonly CiStatus[]]> = [
  ['failed', ['failure', 'error']],
  ['passed', ['success']],
  ['running', ['running', 'queued', 'waiting']],
  ['cancelled', ['cancelled']],
  ['skipped', ['skipped']],
];

/** Only http(s) links go into messages (a provider could send anything). */
const webLink = (url: string | undefined) =>
  url !== undefined && /^https?:\/\//i.test(url) ? url : undefined;

function whereOf(run: CiEvent): RunSummary['where'] {
  if (run.pullRequest)
    return {
      label: 'Pull request',
      value: `#${run.pullRequest.number}${run.branch !== undefined ? ` (${run.branch})` : ''}`,
      url: webLink(run.pullRequest.url),
    };
  if (run.branch !== undefined) return { label: 'Branch', value: run.branch, url: undefined };
  if (run.tag !== undefined) return { label: 'Tag', value: run.tag, url: undefined };
  return undefined;
}

/**
 * The summary of `notification`'s run: from the router's run snapshot when the sink has one (`runs`),
 * else from the event alone (`send-test`).
 */
export async function summarizeRun(notification: Notification, runs?: RunSnapshots): Promise<RunSummary> {
  const { event } = notification;
  const snapshot = runs ? await runs.get(event) : undefined;
  const view = runView(snapshot, event);
  const { run } = view;
  const facts = messageFacts(run);
  const failedJobs = view.jobs
    .filter((job) => isFailing(job.status))
    .map((job) => ({
      name: job.job?.name ?? 'job',
      url: webLink(job.job?.url ?? job.pipeline.url),
      duration: job.durationMs !== undefined ? formatDuration(job.durationMs) : undefined,
    }));
  const jobCounts: Record<string, number> = {};
  for (const [label, statuses] of countLabels) {
    const n = view.jobs.filter((j) => statuses.includes(j.status)).length;
    if (n > 0) jobCounts[label] = n;
  }
  const links: SummaryLink[] = [];
  const runUrl = webLink(run.pipeline.url);
  if (runUrl) links.push({ title: `View ${facts.pipelineLabel}`, url: runUrl });
  const commitUrl = webLink(run.commit.url);
  if (commitUrl) links.push({ title: `Commit ${facts.shortSha}`, url: commitUrl });
  const prUrl = webLink(run.pullRequest?.url);
  if (prUrl && run.pullRequest) links.push({ title: `Pull request #${run.pullRequest.number}`, url: prUrl });
  return {
    headline: messageFacts(event).headline,
    run,
    facts,
    status: run.status,
    where: whereOf(run),
    failedJobs,
    jobCounts,
    links,
    color: statusColors[run.status],
    version: snapshot?.version ?? 0,
  };
}

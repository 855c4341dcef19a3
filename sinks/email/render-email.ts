import { failingStatuses } from '../../src/event/failing-statuses';
import type { CiEvent, CiStatus, Transition } from '../../src/event/ci-event-schema';
import { flakyNote } from '../../src/event/flaky-note';
import { compileTemplate, templateProblem, type Template } from '../template/compile-template';
import { messageFacts, type MessageFacts } from '../template/message-facts';
import type { RunSnapshot } from '../../src/contracts/sink';
import { defaultHtmlTemplate, defaultSubjectTemplate, defaultTextTemplate } from './default-templates';
import { attemptOf } from '../../src/event/attempt-of';

/** A failed job of the run, as listed in the mail. */
export interface FailedJob {
  name: string;
  url: string | undefined;
  status: CiStatus;
  stage: string | undefined;
}

/** What the email templates see: the message facts (`headline`, `shortSha`, ...) at the top level, and more. */
export interface EmailContext extends MessageFacts {
  /** The event; links that are not http(s) are left out. */
  event: CiEvent;
  status: CiStatus;
  /** `owner/repo`; this and the three links below are named as in Slack templates. */
  repository: string;
  repositoryUrl: string | undefined;
  pipelineUrl: string | undefined;
  commitUrl: string | undefined;
  /** `Failed`, `Passed`, `Running`, ... */
  statusLabel: string;
  /** `newly broken`, `fixed`, `still failing`; absent when the run's health did not change or is unknown. */
  change: string | undefined;
  /** CSS colour of the status: red, green, amber or grey. */
  statusColor: string;
  /** Jobs of this run attempt that failed or errored, by name (pipeline events only). */
  failedJobs: FailedJob[];
  /** Link to the run (the job's link for a job event without one). */
  runUrl: string | undefined;
  /** `passed on attempt 2 after failing: flaky?` when the router marked the event flaky. */
  flakyNote: string | undefined;
  /** The route that matched. */
  route: string;
  /** The sink's id. */
  sink: string;
}

/** A rendered mail. */
export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

/** Template sources; a missing one is the built-in one. */
export interface EmailTemplateSources {
  subject?: string | undefined;
  text?: string | undefined;
  html?: string | undefined;
}

/** Compiled subject, text and HTML templates. */
export interface EmailTemplates {
  subject: Template;
  text: Template;
  html: Template;
}

const statusLabels: Record<CiStatus, string> = {
  queued: 'Queued',
  waiting: 'Waiting',
  running: 'Running',
  success: 'Passed',
  failure: 'Failed',
  cancelled: 'Cancelled',
  skipped: 'Skipped',
  error: 'Errored',
};

const changes: Record<Transition, string | undefined> = {
  broken: 'newly broken',
  fixed: 'fixed',
  still_failing: 'still failing',
  passed: undefined,
};

const statusColors: Record<CiStatus, string> = {
  failure: '#cf222e',
  error: '#cf222e',
  success: '#1a7f37',
  queued: '#9a6700',
  waiting: '#9a6700',
  running: '#9a6700',
  cancelled: '#6e7781',
  skipped: '#6e7781',
};

/** `&`, `<`, `>`, `"` and `'` as HTML entities: safe in element text and in quoted attributes. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** `url` when it is an http(s) link, else undefined (no `javascript:` in an href). */
function webLink(url: string | undefined): string | undefined {
  return url !== undefined && /^https?:\/\//i.test(url) ? url : undefined;
}

/** A copy of `event` whose links are all http(s); others are dropped. */
function withWebLinksOnly(event: CiEvent): CiEvent {
  const copy = structuredClone(event);
  const clean = (holder: { url?: string } | undefined) => {
    if (holder?.url !== undefined && webLink(holder.url) === undefined) delete holder.url;
  };
  clean(copy.repository);
  clean(copy.commit);
  clean(copy.pipeline);
  clean(copy.job);
  clean(copy.pullRequest);
  return copy;
}

/** The jobs of `event`'s run attempt that failed, from the run's snapshot, sorted by name. */
export function failedJobsOf(event: CiEvent, snapshot: RunSnapshot | undefined): FailedJob[] {
  if (event.kind !== 'pipeline' || !snapshot) return [];
  const attempt = attemptOf(event);
  return snapshot.jobs
    .filter((job) => failingStatuses.has(job.status) && attemptOf(job) === attempt && job.job)
    .map((job) => ({
      name: job.job?.name ?? '',
      url: webLink(job.job?.url),
      status: job.status,
      stage: job.job?.stage,
    }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** The template context of one notification. */
export function emailContext(input: {
  event: CiEvent;
  snapshot?: RunSnapshot | undefined;
  route: string;
  sink: string;
}): EmailContext {
  const event = withWebLinksOnly(input.event);
  const facts = messageFacts(event);
  return {
    ...facts,
    event,
    status: event.status,
    repository: event.repository.name,
    repositoryUrl: event.repository.url,
    pipelineUrl: event.pipeline.url,
    commitUrl: event.commit.url,
    statusLabel: statusLabels[event.status],
    change: event.transition === undefined ? undefined : changes[event.transition],
    statusColor: statusColors[event.status],
    failedJobs: failedJobsOf(event, input.snapshot),
    runUrl: event.pipeline.url ?? facts.url,
    flakyNote: flakyNote(event),
    route: input.route,
    sink: input.sink,
  };
}

/**
 * Compiles the templates a sink (or a route) uses; missing ones are the built-in ones. Throws on a
 * template that does not compile: the config loader reports that earlier, see {@link emailTemplateProblems}.
 */
export function compileEmailTemplates(sources: EmailTemplateSources = {}): EmailTemplates {
  return {
    subject: compileTemplate(sources.subject ?? defaultSubjectTemplate),
    text: compileTemplate(sources.text ?? defaultTextTemplate),
    html: compileTemplate(sources.html ?? defaultHtmlTemplate, escapeHtml),
  };
}

/** `templates.<key>: <problem>` for each template in `sources` that does not compile. */
export function emailTemplateProblems(sources: EmailTemplateSources = {}): string[] {
  const problems: string[] = [];
  for (const key of ['subject', 'text', 'html'] as const) {
    const source = sources[key];
    if (source === undefined) continue;
    const problem = templateProblem(source);
    if (problem !== undefined) problems.push(`templates.${key}: ${problem}`);
  }
  return problems;
}

/** The built-in templates, compiled once. */
export const defaultEmailTemplates: EmailTemplates = compileEmailTemplates();

/**
 * Renders a mail. The subject is one line (whitespace runs, newlines included, become one space) and
 * falls back to the headline when a template renders it empty; HTML values are escaped, text ones not.
 */
export function renderEmail(
  context: EmailContext,
  templates: EmailTemplates = defaultEmailTemplates,
): RenderedEmail {
  const subject = templates.subject(context).replace(/\s+/g, ' ').trim();
  return {
    subject: subject === '' ? context.headline.replace(/\s+/g, ' ').trim() : subject,
    text: templates.text(context),
    html: templates.html(context),
  };
}

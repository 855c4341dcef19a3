import type { CiEvent } from '../../src/event/ci-event-schema';
import { flakyNote } from '../../src/event/flaky-note';
import { formatDuration } from '../template/compile-template';
import { messageFacts } from '../template/message-facts';
import { escapeMrkdwn, mrkdwnLink, truncateMrkdwn } from './mrkdwn';
import { isFailing, type RunView } from '../template/run-view';
import { slackTemplateContext, type SlackTemplateSet } from './slack-templates';
import { statusStyles } from './status-style';

// Slack's Block Kit limits. https://docs.slack.dev/reference/block-kit/blocks
/** A section's `text`: 3000 characters. */
export const maxSectionText = 3000;
/** Each of a section's `fields`: 2000 characters, at most 10 of them. */
export const maxFieldText = 2000;
/** A context element's text (a text object): 3000 characters; at most 10 elements. */
export const maxContextText = 3000;
/** Blocks in one message, attachments' blocks included: 50. */
export const maxBlocks = 50;
/**
 * The top-level `text`. Slack truncates past 40,000 characters and advises 4,000; with blocks it is only
 * the notification and screen-reader fallback. https://docs.slack.dev/reference/methods/chat.postMessage#truncating
 */
export const maxText = 4000;

/** A mrkdwn text object. */
export interface MrkdwnText {
  type: 'mrkdwn';
  text: string;
}
/** The Block Kit blocks this sink uses. */
export type SlackBlock =
  | { type: 'section'; text: MrkdwnText }
  | { type: 'section'; fields: MrkdwnText[] }
  | { type: 'context'; elements: MrkdwnText[] };
/** A secondary attachment: only for its coloured side bar (Block Kit has no colour of its own). */
export interface SlackAttachment {
  color: string;
  fallback: string;
  blocks: SlackBlock[];
}
/** A message as `chat.postMessage` / `chat.update` take it. */
export interface SlackMessage {
  text: string;
  blocks: SlackBlock[];
  attachments: SlackAttachment[];
}

/** What rendering needs besides the run. */
export interface RenderOptions {
  templates: SlackTemplateSet;
  /** email or login (lower case) to Slack user id. */
  mentions?: ReadonlyMap<string, string>;
  /**
   * Whether this message or reply mentions the people behind a failure (`cc @…`); the sink says it once
   * per run state. @defaultValue true
   */
  mention?: boolean;
}

const mrkdwn = (text: string, max: number): MrkdwnText => ({
  type: 'mrkdwn',
  text: truncateMrkdwn(text, max),
});

/** Lower-cased keys, so `Mona@Example.com` in the config matches `mona@example.com` in an event. */
export function mentionMap(mentions: Record<string, string> | undefined): Map<string, string> {
  return new Map(Object.entries(mentions ?? {}).map(([who, user]) => [who.toLowerCase(), user]));
}

/** Slack user ids of the people behind `events` (commit author, then actor; by email or login), without repeats. */
export function mentionedUsers(
  events: readonly CiEvent[],
  mentions: ReadonlyMap<string, string> | undefined,
) {
  if (!mentions || mentions.size === 0) return [];
  const users: string[] = [];
  for (const event of events) {
    const people = [
      event.commit.author?.email,
      event.commit.author?.login,
      event.actor?.login,
      event.actor?.email,
    ];
    for (const who of people) {
      const user = who === undefined ? undefined : mentions.get(who.toLowerCase());
      if (user !== undefined && !users.includes(user)) users.push(user);
    }
  }
  return users;
}

/** `cc <@U1> <@U2>`, or undefined for nobody. */
export function ccLine(users: readonly string[]): string | undefined {
  return users.length === 0 ? undefined : `cc ${users.map((u) => `<@${u}>`).join(' ')}`;
}

/** The plain-ish one-line summary used as `text` (notifications, screen readers). */
function fallbackText(text: string, cc: string | undefined): string {
  return truncateMrkdwn(cc === undefined ? text : `${text} ${cc}`, maxText);
}

function whereField(run: CiEvent): MrkdwnText | undefined {
  if (run.pullRequest) {
    const pr = mrkdwnLink(run.pullRequest.url, `#${run.pullRequest.number}`);
    const branch = run.branch !== undefined ? ` (\`${escapeMrkdwn(run.branch)}\`)` : '';
    return mrkdwn(`*Pull request*\n${pr}${branch}`, maxFieldText);
  }
  if (run.branch !== undefined) return mrkdwn(`*Branch*\n\`${escapeMrkdwn(run.branch)}\``, maxFieldText);
  if (run.tag !== undefined) return mrkdwn(`*Tag*\n\`${escapeMrkdwn(run.tag)}\``, maxFieldText);
  return undefined;
}

/** `<sha-link|9f2c4e1> Fix login — Mona Lisa` */
export function commitLine(run: CiEvent): string {
  const facts = messageFacts(run);
  const title = facts.commitTitle !== undefined ? ` ${escapeMrkdwn(facts.commitTitle)}` : '';
  const author = facts.author !== undefined ? ` — ${escapeMrkdwn(facts.author)}` : '';
  return `${mrkdwnLink(run.commit.url, facts.shortSha)}${title}${author}`;
}

function fields(run: CiEvent): MrkdwnText[] {
  const facts = messageFacts(run);
  const list: Array<MrkdwnText | undefined> = [
    whereField(run),
    mrkdwn(`*Commit*\n${commitLine(run)}`, maxFieldText),
    facts.duration !== undefined ? mrkdwn(`*Duration*\n${facts.duration}`, maxFieldText) : undefined,
    facts.actor !== undefined
      ? mrkdwn(`*Triggered by*\n${escapeMrkdwn(facts.actor)}`, maxFieldText)
      : undefined,
  ];
  return list.filter((f): f is MrkdwnText => f !== undefined).slice(0, 10);
}

const jobGroups = [
  { label: 'failed', statuses: ['failure', 'error'] },
  { label: 'passed', statuses: ['success'] },
  { label: 'running', statuses: ['running', 'queued', 'waiting'] },
  { label: 'cancelled', statuses: ['cancelled'] },
  { label: 'skipped', statuses: ['skipped'] },
] as const;

/** `:x: 1 failed   :white_check_mark: 4 passed   :hourglass_flowing_sand: 2 running` */
function jobCounts(jobs: readonly CiEvent[]): string {
  return jobGroups
    .map(({ label, statuses }) => {
      const n = jobs.filter((j) => (statuses as readonly string[]).includes(j.status)).length;
      return n === 0 ? undefined : `${statusStyles[statuses[0]].emoji} ${n} ${label}`;
    })
    .filter((part) => part !== undefined)
    .join('   ');
}

/** `Failed: <link|test> (4m 1s) · <link|lint> … and 3 more`, within one section's limit. */
function failedJobsLine(failed: readonly CiEvent[]): string {
  const parts = failed.map((job) => {
    const duration = job.durationMs !== undefined ? ` (${formatDuration(job.durationMs)})` : '';
    return `${mrkdwnLink(job.job?.url ?? job.pipeline.url, job.job?.name ?? 'job')}${duration}`;
  });
  const line = (n: number) =>
    `*Failed:* ${parts.slice(0, n).join(' · ')}${n < parts.length ? ` … and ${parts.length - n} more` : ''}`;
  let shown = parts.length;
  while (shown > 1 && line(shown).length > maxSectionText) shown--;
  return truncateMrkdwn(line(shown), maxSectionText);
}

/**
 * The run message: a headline section (template `headline`) and a coloured attachment with branch,
 * commit, duration, who triggered it, the jobs of the latest attempt and the failed ones by name; on a
 * failure, the mapped people behind it as `cc @…`. `text` (template `text`) is the fallback.
 */
export function renderSlackMessage(view: RunView, options: RenderOptions): SlackMessage {
  const { run, jobs } = view;
  const context = slackTemplateContext(run);
  const failing = isFailing(run.status);
  const failedJobs = jobs.filter((j) => isFailing(j.status));
  const cc =
    failing && options.mention !== false
      ? ccLine(mentionedUsers([run, ...failedJobs], options.mentions))
      : undefined;

  const blocks: SlackBlock[] = [
    {
      type: 'section',
      text: mrkdwn(
        options.templates.headline(context).trim() || escapeMrkdwn(context.headline),
        maxSectionText,
      ),
    },
  ];
  if (cc !== undefined) blocks.push({ type: 'context', elements: [mrkdwn(cc, maxContextText)] });

  const details: SlackBlock[] = [{ type: 'section', fields: fields(run) }];
  const flaky = flakyNote(run);
  if (flaky !== undefined)
    details.push({ type: 'context', elements: [mrkdwn(`:warning: ${escapeMrkdwn(flaky)}`, maxContextText)] });
  if (jobs.length > 0)
    details.push({ type: 'context', elements: [mrkdwn(`Jobs: ${jobCounts(jobs)}`, maxContextText)] });
  if (failedJobs.length > 0)
    details.push({ type: 'section', text: mrkdwn(failedJobsLine(failedJobs), maxSectionText) });

  const text = fallbackText(options.templates.text(context).trim() || escapeMrkdwn(context.headline), cc);
  return {
    text,
    blocks: blocks.slice(0, maxBlocks),
    attachments: [
      {
        color: statusStyles[run.status].color,
        fallback: text,
        blocks: details.slice(0, Math.max(0, maxBlocks - blocks.length)),
      },
    ],
  };
}

import type { CiEvent } from '../../src/event/ci-event-schema';
import { escapeMrkdwn, truncateMrkdwn } from './mrkdwn';
import { ccLine, commitLine, maxText, mentionedUsers, type RenderOptions } from './render-slack-message';
import { slackTemplateContext } from './slack-templates';

/** A reply in a run message's thread; `text` is mrkdwn (Slack renders a message's `text` as mrkdwn). */
export interface SlackReply {
  text: string;
}

/**
 * A failed job's reply (template `reply`): job name linked, stage, duration, and `cc @…` for the mapped
 * people behind it. `run` fills in who they are when the job event does not say (GitHub job events
 * carry no commit author).
 */
export function renderJobReply(job: CiEvent, run: CiEvent, options: RenderOptions): SlackReply {
  const context = slackTemplateContext(job);
  const line = options.templates.reply(context).trim() || escapeMrkdwn(context.headline);
  const cc = options.mention === false ? undefined : ccLine(mentionedUsers([job, run], options.mentions));
  return { text: truncateMrkdwn(cc === undefined ? line : `${line}\n${cc}`, maxText) };
}

/**
 * The run's failed final state, posted in its thread and broadcast to the channel (`reply_broadcast`)
 * so that a run that turned red is not hidden in a thread: the headline, the commit and `cc @…`.
 */
export function renderFailureBroadcast(run: CiEvent, options: RenderOptions): SlackReply {
  const context = slackTemplateContext(run);
  const line = options.templates.headline(context).trim() || escapeMrkdwn(context.headline);
  const cc = options.mention === false ? undefined : ccLine(mentionedUsers([run], options.mentions));
  const text = [line, commitLine(run), cc].filter((part) => part !== undefined).join('\n');
  return { text: truncateMrkdwn(text, maxText) };
}

/**
 * The short reply that closes a failure's thread once the run passes (a re-run that went green): the
 * headline of the run as it now stands. Not broadcast, and without mentions: the failure's broadcast
 * copy in the channel then has a green answer under it, and nobody is paged for good news.
 */
export function renderFixedReply(run: CiEvent, options: RenderOptions): SlackReply {
  const context = slackTemplateContext(run);
  const line = options.templates.headline(context).trim() || escapeMrkdwn(context.headline);
  return { text: truncateMrkdwn(`Fixed: ${line}`, maxText) };
}

/**
 * One reply for a `groupWait` notification's failed jobs (a matrix that failed together): a count, then
 * each job's reply line, within Slack's text limit, and `cc @…` once for the people behind them.
 */
export function renderGroupReply(jobs: readonly CiEvent[], run: CiEvent, options: RenderOptions): SlackReply {
  const lines = jobs.map((job) => {
    const context = slackTemplateContext(job);
    return options.templates.reply(context).trim() || escapeMrkdwn(context.headline);
  });
  const cc = options.mention === false ? undefined : ccLine(mentionedUsers([...jobs, run], options.mentions));
  const head = `*${jobs.length} job${jobs.length === 1 ? '' : 's'} failed*`;
  const tail = cc === undefined ? [] : [cc];
  let shown = lines.length;
  const text = (n: number) =>
    [
      head,
      ...lines.slice(0, n),
      ...(n < lines.length ? [`… and ${lines.length - n} more`] : []),
      ...tail,
    ].join('\n');
  while (shown > 1 && text(shown).length > maxText) shown--;
  return { text: truncateMrkdwn(text(shown), maxText) };
}

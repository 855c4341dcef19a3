import type { CiStatus } from '../../src/event/ci-event-schema';
import type { RunSummary } from '../template/run-summary';

/** An Adaptive Card element this sink uses. https://adaptivecards.io/explorer/ */
export type CardElement =
  | {
      type: 'TextBlock';
      text: string;
      wrap: true;
      weight?: 'Bolder';
      size?: 'Medium';
      color?: 'Good' | 'Attention' | 'Warning' | 'Accent' | 'Default';
    }
  | { type: 'FactSet'; facts: Array<{ title: string; value: string }> };

/** The message a Teams Workflows webhook takes: one Adaptive Card attachment. */
export interface TeamsMessage {
  type: 'message';
  attachments: Array<{
    contentType: 'application/vnd.microsoft.card.adaptive';
    contentUrl: null;
    content: {
      $schema: 'http://adaptivecards.io/schemas/adaptive-card.json';
      type: 'AdaptiveCard';
      version: '1.4';
      msteams: { width: 'Full' };
      body: CardElement[];
      actions: Array<{ type: 'Action.OpenUrl'; title: string; url: string }>;
    };
  }>;
}

const colors: Record<CiStatus, 'Good' | 'Attention' | 'Warning' | 'Accent' | 'Default'> = {
  success: 'Good',
  failure: 'Attention',
  error: 'Warning',
  cancelled: 'Default',
  skipped: 'Default',
  running: 'Accent',
  queued: 'Accent',
  waiting: 'Accent',
};

// Adaptive Cards' markdown has no backslash escapes (they would show): the headline stays plain text,
// and a job name loses only the brackets that would end its link text early.
const linkText = (text: string) => text.replace(/[[\]]/g, '');

/**
 * The Adaptive Card of a notification: the headline in the status's colour, a fact set (status,
 * repository, branch, run, commit, duration, who triggered it, jobs), the failed jobs as links, and
 * buttons to the run, the commit and the pull request.
 * https://learn.microsoft.com/en-us/microsoftteams/platform/webhooks-and-connectors/how-to/connectors-using
 */
export function renderTeamsCard(summary: RunSummary): TeamsMessage {
  const { run, facts } = summary;
  const transition = facts.transitionWord !== undefined ? ` (${facts.transitionWord})` : '';
  const factList: Array<{ title: string; value: string }> = [
    { title: 'Status', value: `${facts.statusWord}${transition}` },
    { title: 'Repository', value: run.repository.name },
  ];
  if (summary.where) factList.push({ title: summary.where.label, value: summary.where.value });
  factList.push({ title: 'Run', value: facts.pipelineLabel });
  factList.push({
    title: 'Commit',
    value: [facts.shortSha, facts.commitTitle, facts.author && `by ${facts.author}`]
      .filter(Boolean)
      .join(' '),
  });
  if (facts.duration !== undefined) factList.push({ title: 'Duration', value: facts.duration });
  if (facts.actor !== undefined) factList.push({ title: 'Triggered by', value: facts.actor });
  const counts = Object.entries(summary.jobCounts).map(([label, n]) => `${n} ${label}`);
  if (counts.length > 0) factList.push({ title: 'Jobs', value: counts.join(', ') });

  const body: CardElement[] = [
    {
      type: 'TextBlock',
      text: summary.headline,
      wrap: true,
      weight: 'Bolder',
      size: 'Medium',
      color: colors[summary.status],
    },
    // FactSet values are plain text in Teams: no escaping needed.
    { type: 'FactSet', facts: factList },
  ];
  if (summary.failedJobs.length > 0) {
    const jobs = summary.failedJobs
      .slice(0, 20)
      .map((job) => {
        const name = linkText(job.name);
        const linked = job.url ? `[${name}](${job.url})` : name;
        return job.duration ? `${linked} (${job.duration})` : linked;
      })
      .join(', ');
    const more = summary.failedJobs.length > 20 ? ` and ${summary.failedJobs.length - 20} more` : '';
    body.push({ type: 'TextBlock', text: `**Failed jobs:** ${jobs}${more}`, wrap: true });
  }
  return {
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        contentUrl: null,
        content: {
          $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
          type: 'AdaptiveCard',
          version: '1.4',
          msteams: { width: 'Full' },
          body,
          actions: summary.links.map((link) => ({
            type: 'Action.OpenUrl',
            title: link.title,
            url: link.url,
          })),
        },
      },
    ],
  };
}

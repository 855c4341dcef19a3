import type { RunSummary } from '../template/run-summary';

/** A Discord embed. https://discord.com/developers/docs/resources/message#embed-object */
export interface DiscordEmbed {
  title: string;
  url?: string;
  description?: string;
  color: number;
  fields: Array<{ name: string; value: string; inline: boolean }>;
  footer: { text: string };
  timestamp?: string;
}

// Discord's embed limits. https://discord.com/developers/docs/resources/message#embed-object-embed-limits
const maxTitle = 256;
const maxDescription = 4096;
const maxFieldValue = 1024;

const cut = (text: string, max: number) => (text.length <= max ? text : `${text.slice(0, max - 1)}…`);
/** Discord renders Markdown: keep names and commit titles literal. */
const escape = (text: string) => text.replace(/([\\`*_~|[\]()>#-])/g, '\\$1');
const link = (text: string, url: string | undefined) => (url ? `[${escape(text)}](${url})` : escape(text));

/**
 * The run's embed: the run's headline (linked to the run) in the status's colour, its facts as fields,
 * and the failed jobs of its latest attempt as links.
 */
export function renderDiscordEmbed(summary: RunSummary): DiscordEmbed {
  const { run, facts } = summary;
  const fields: DiscordEmbed['fields'] = [
    {
      name: 'Status',
      value: `${facts.statusWord}${facts.transitionWord ? ` (${facts.transitionWord})` : ''}`,
      inline: true,
    },
    {
      name: 'Repository',
      value: cut(link(run.repository.name, run.repository.url), maxFieldValue),
      inline: true,
    },
  ];
  if (summary.where)
    fields.push({
      name: summary.where.label,
      value: cut(link(summary.where.value, summary.where.url), maxFieldValue),
      inline: true,
    });
  fields.push({
    name: 'Commit',
    value: cut(
      [
        link(facts.shortSha, run.commit.url),
        facts.commitTitle && escape(facts.commitTitle),
        facts.author && `— ${escape(facts.author)}`,
      ]
        .filter(Boolean)
        .join(' '),
      maxFieldValue,
    ),
    inline: false,
  });
  if (facts.duration !== undefined) fields.push({ name: 'Duration', value: facts.duration, inline: true });
  const counts = Object.entries(summary.jobCounts).map(([label, n]) => `${n} ${label}`);
  if (counts.length > 0) fields.push({ name: 'Jobs', value: counts.join(' · '), inline: true });
  const failed = summary.failedJobs.map(
    (j) => `${link(j.name, j.url)}${j.duration ? ` (${j.duration})` : ''}`,
  );
  return {
    title: cut(facts.headline, maxTitle),
    ...(run.pipeline.url && { url: run.pipeline.url }),
    ...(failed.length > 0 && { description: cut(`**Failed jobs:** ${failed.join(' · ')}`, maxDescription) }),
    color: Number.parseInt(summary.color.slice(1), 16),
    fields,
    footer: { text: 'ci-relay' },
    ...((run.finishedAt ?? run.startedAt) && { timestamp: run.finishedAt ?? run.startedAt }),
  };
}

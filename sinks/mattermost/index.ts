import { Agent } from 'undici';
import type { Sink, SinkDeps } from '../../src/contracts/sink';
import { postJson, type JsonAnswer } from '../post-json';
import { summarizeRun, type RunSummary } from '../template/run-summary';
import { defaultWebhookTimeoutMs } from '../webhook-timeout';
import type { MattermostSinkConfig } from './config';

/** A Slack-compatible attachment as Mattermost takes it. https://developers.mattermost.com/integrate/reference/message-attachments/ */
export interface MattermostAttachment {
  fallback: string;
  color: string;
  title: string;
  title_link?: string;
  text?: string;
  fields: Array<{ short: boolean; title: string; value: string }>;
  footer: string;
}

/** The body of an incoming webhook post. https://developers.mattermost.com/integrate/webhooks/incoming/ */
export interface MattermostMessage {
  text?: string;
  attachments: MattermostAttachment[];
  channel?: string;
  username?: string;
  icon_url?: string;
}

/** Mattermost renders Markdown: keep names and commit titles literal. */
const escape = (text: string) => text.replace(/([\\`*_[\]()#>~|])/g, '\\$1');
const link = (text: string, url: string | undefined) => (url ? `[${escape(text)}](${url})` : escape(text));

/** The post of a notification: a coloured attachment with the run's facts. */
export function renderMattermostMessage(summary: RunSummary): MattermostMessage {
  const { run, facts } = summary;
  const fields: MattermostAttachment['fields'] = [
    {
      short: true,
      title: 'Status',
      value: `${facts.statusWord}${facts.transitionWord ? ` (${facts.transitionWord})` : ''}`,
    },
    { short: true, title: 'Repository', value: link(run.repository.name, run.repository.url) },
  ];
  if (summary.where)
    fields.push({
      short: true,
      title: summary.where.label,
      value: link(summary.where.value, summary.where.url),
    });
  fields.push({ short: true, title: 'Run', value: link(facts.pipelineLabel, run.pipeline.url) });
  fields.push({
    short: false,
    title: 'Commit',
    value: [
      link(facts.shortSha, run.commit.url),
      facts.commitTitle && escape(facts.commitTitle),
      facts.author && `— ${escape(facts.author)}`,
    ]
      .filter(Boolean)
      .join(' '),
  });
  if (facts.duration !== undefined) fields.push({ short: true, title: 'Duration', value: facts.duration });
  const counts = Object.entries(summary.jobCounts).map(([label, n]) => `${n} ${label}`);
  if (counts.length > 0) fields.push({ short: true, title: 'Jobs', value: counts.join(', ') });
  const failed = summary.failedJobs.map(
    (job) => `${link(job.name, job.url)}${job.duration ? ` (${job.duration})` : ''}`,
  );
  // No top-level text: the attachment's title says it, and `fallback` is what notifications show.
  return {
    attachments: [
      {
        fallback: summary.headline,
        color: summary.color,
        title: summary.headline,
        ...(run.pipeline.url && { title_link: run.pipeline.url }),
        ...(failed.length > 0 && { text: `**Failed jobs:** ${failed.join(' · ')}` }),
        fields,
        footer: 'ci-relay',
      },
    ],
  };
}

/** Mattermost's error body: `{ id, message, detailed_error, status_code }`. */
export function explainMattermostError(answer: JsonAnswer): string | undefined {
  const json = answer.json as { id?: unknown; message?: unknown } | undefined;
  if (typeof json?.message === 'string')
    return typeof json.id === 'string' ? `${json.message} [${json.id}]` : json.message;
  return undefined;
}

/** Mattermost's rate limiter says when the window resets in `X-Ratelimit-Reset` (seconds). */
function mattermostRetryAfterMs(answer: JsonAnswer): number | undefined {
  const reset = Number(answer.headers['x-ratelimit-reset']);
  return Number.isFinite(reset) && reset > 0 ? reset * 1000 : undefined;
}

/** Posts each notification to a Mattermost incoming webhook, as a Slack-compatible attachment. */
export function createMattermostSink(config: MattermostSinkConfig, deps: SinkDeps): Sink {
  const { runs, now = Date.now } = deps;
  const name = `mattermost[${config.id}]`;
  const agent = new Agent({ keepAliveTimeout: 30_000, connections: 8 });
  // The webhook key is the last part of the path: /hooks/<key>.
  const secrets = [new URL(config.url).pathname.split('/').pop() ?? ''];
  return {
    id: config.id,
    type: 'mattermost',
    async deliver(notification) {
      const message = renderMattermostMessage(await summarizeRun(notification, runs));
      await postJson(
        config.url,
        {
          ...message,
          ...(config.channel && { channel: config.channel }),
          ...(config.username && { username: config.username }),
          ...(config.iconUrl && { icon_url: config.iconUrl }),
        },
        {
          name,
          dispatcher: agent,
          timeoutMs: config.timeoutMs ?? defaultWebhookTimeoutMs,
          now,
          explain: explainMattermostError,
          retryAfterMs: mattermostRetryAfterMs,
          secrets,
        },
      );
    },
    close: () => agent.close(),
  };
}

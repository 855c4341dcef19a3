import { Agent } from 'undici';
import type { Sink, SinkDeps } from '../../src/contracts/sink';
import { runKey } from '../../src/event/run-identity';
import { postJson, type JsonAnswer } from '../post-json';
import { summarizeRun, type RunSummary } from '../template/run-summary';
import { defaultWebhookTimeoutMs } from '../webhook-timeout';
import type { GoogleChatSinkConfig } from './config';

/** A card widget this sink uses. https://developers.google.com/workspace/chat/api/reference/rest/v1/cards */
export type GoogleChatWidget =
  | { decoratedText: { topLabel: string; text: string; wrapText: true } }
  | { textParagraph: { text: string } }
  | { buttonList: { buttons: Array<{ text: string; onClick: { openLink: { url: string } } }> } };

/** A message as `spaces.messages.create` takes it from a webhook. */
export interface GoogleChatMessage {
  text: string;
  cardsV2: Array<{
    cardId: string;
    card: {
      header: { title: string; subtitle: string };
      sections: Array<{ widgets: GoogleChatWidget[] }>;
    };
  }>;
  thread: { threadKey: string };
}

// Card text takes a small HTML subset: names and titles must not become markup.
const html = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const anchor = (text: string, url: string | undefined) =>
  url ? `<a href="${html(url)}">${html(text)}</a>` : html(text);

/**
 * The message of a notification: a text line (shown in notifications) and a card with the run's facts,
 * failed jobs and buttons, in the run's thread (`threadKey`: the run identity).
 */
export function renderGoogleChatMessage(summary: RunSummary, threadKey: string): GoogleChatMessage {
  const { run, facts } = summary;
  const widgets: GoogleChatWidget[] = [
    {
      decoratedText: {
        topLabel: 'Status',
        text: `<font color="${summary.color}">${html(facts.statusWord)}</font>${facts.transitionWord ? ` (${html(facts.transitionWord)})` : ''}`,
        wrapText: true,
      },
    },
  ];
  if (summary.where)
    widgets.push({
      decoratedText: {
        topLabel: summary.where.label,
        text: anchor(summary.where.value, summary.where.url),
        wrapText: true,
      },
    });
  widgets.push({
    decoratedText: { topLabel: 'Run', text: anchor(facts.pipelineLabel, run.pipeline.url), wrapText: true },
  });
  widgets.push({
    decoratedText: {
      topLabel: 'Commit',
      text: [
        anchor(facts.shortSha, run.commit.url),
        facts.commitTitle && html(facts.commitTitle),
        facts.author && `— ${html(facts.author)}`,
      ]
        .filter(Boolean)
        .join(' '),
      wrapText: true,
    },
  });
  if (facts.duration !== undefined)
    widgets.push({ decoratedText: { topLabel: 'Duration', text: facts.duration, wrapText: true } });
  if (summary.failedJobs.length > 0)
    widgets.push({
      textParagraph: {
        text: `<b>Failed jobs:</b> ${summary.failedJobs.map((j) => `${anchor(j.name, j.url)}${j.duration ? ` (${j.duration})` : ''}`).join(', ')}`,
      },
    });
  if (summary.links.length > 0)
    widgets.push({
      buttonList: {
        buttons: summary.links.map((l) => ({ text: l.title, onClick: { openLink: { url: l.url } } })),
      },
    });
  return {
    text: summary.headline,
    cardsV2: [
      {
        cardId: 'ci-relay-run',
        card: {
          header: { title: `${run.pipeline.name} ${facts.statusWord}`, subtitle: run.repository.name },
          sections: [{ widgets }],
        },
      },
    ],
    thread: { threadKey },
  };
}

/** Google's error body: `{ error: { code, message, status } }`. */
export function explainGoogleError(answer: JsonAnswer): string | undefined {
  const error = (answer.json as { error?: { message?: unknown; status?: unknown } } | undefined)?.error;
  if (typeof error?.message !== 'string') return undefined;
  return typeof error.status === 'string' ? `${error.status}: ${error.message}` : error.message;
}

/**
 * Posts each notification to a Google Chat space's webhook, every message of one run in one thread:
 * `thread.threadKey` is the run identity and `messageReplyOption=REPLY_MESSAGE_FALLBACK_TO_NEW_THREAD`
 * starts the thread with the run's first message.
 * https://developers.google.com/workspace/chat/quickstart/webhooks#start_or_reply_to_a_message_thread
 */
export function createGoogleChatSink(config: GoogleChatSinkConfig, deps: SinkDeps): Sink {
  const { runs, now = Date.now } = deps;
  const name = `googlechat[${config.id}]`;
  const agent = new Agent({ keepAliveTimeout: 30_000, connections: 8 });
  const url = new URL(config.url);
  url.searchParams.set('messageReplyOption', 'REPLY_MESSAGE_FALLBACK_TO_NEW_THREAD');
  const secrets = [url.searchParams.get('key') ?? '', url.searchParams.get('token') ?? ''];
  return {
    id: config.id,
    type: 'googlechat',
    async deliver(notification) {
      const summary = await summarizeRun(notification, runs);
      await postJson(url, renderGoogleChatMessage(summary, runKey(notification.event)), {
        name,
        dispatcher: agent,
        timeoutMs: config.timeoutMs ?? defaultWebhookTimeoutMs,
        now,
        explain: explainGoogleError,
        secrets,
      });
    },
    close: () => agent.close(),
  };
}

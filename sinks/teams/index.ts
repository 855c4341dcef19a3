import { Agent } from 'undici';
import type { Sink, SinkDeps } from '../../src/contracts/sink';
import { postJson, type JsonAnswer } from '../post-json';
import { summarizeRun } from '../template/run-summary';
import { defaultWebhookTimeoutMs } from '../webhook-timeout';
import type { TeamsSinkConfig } from './config';
import { renderTeamsCard } from './render-teams-card';

/** The error a Workflows (Logic Apps) trigger answers with: `{ error: { code, message } }`. */
export function explainTeamsError(answer: JsonAnswer): string | undefined {
  const error = (answer.json as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
  if (typeof error?.code !== 'string') return undefined;
  return typeof error.message === 'string' ? `${error.code}: ${error.message}` : error.code;
}

/**
 * Posts an Adaptive Card per notification to a Teams Workflows webhook (the Power Automate flow "Post
 * to a channel when a webhook request is received"), which answers 202 once it has taken the message.
 * Office 365 connectors (the old "Incoming Webhook") are retired; see docs/sinks/teams.md.
 */
export function createTeamsSink(config: TeamsSinkConfig, deps: SinkDeps): Sink {
  const { runs, now = Date.now } = deps;
  const name = `teams[${config.id}]`;
  const agent = new Agent({ keepAliveTimeout: 30_000, connections: 8 });
  const secrets = [new URL(config.url).searchParams.get('sig') ?? '', new URL(config.url).pathname];
  return {
    id: config.id,
    type: 'teams',
    async deliver(notification) {
      const summary = await summarizeRun(notification, runs);
      await postJson(config.url, renderTeamsCard(summary), {
        name,
        dispatcher: agent,
        timeoutMs: config.timeoutMs ?? defaultWebhookTimeoutMs,
        now,
        explain: explainTeamsError,
        secrets,
      });
    },
    close: () => agent.close(),
  };
}

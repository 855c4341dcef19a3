import { Agent } from 'undici';
import type { Notification, Sink, SinkDeps } from '../../src/contracts/sink';
import type { CiEvent } from '../../src/event/ci-event-schema';
import { failingStatuses } from '../../src/event/failing-statuses';
import { seriesKey } from '../../src/event/run-identity';
import { postJson, type JsonAnswer } from '../post-json';
import { summarizeRun, type RunSummary } from '../template/run-summary';
import { defaultWebhookTimeoutMs } from '../webhook-timeout';
import { defaultPagerDutyApiUrl, type PagerDutySinkConfig } from './config';

/** An Events API v2 event. https://developer.pagerduty.com/docs/events-api-v2-overview */
export type PagerDutyEvent =
  | {
      routing_key: string;
      event_action: 'trigger';
      dedup_key: string;
      client: 'ci-relay';
      client_url?: string;
      payload: {
        summary: string;
        source: string;
        severity: 'critical' | 'error' | 'warning' | 'info';
        timestamp?: string;
        component: string;
        group?: string;
        class: 'ci';
        custom_details: Record<string, string | string[]>;
      };
      links: Array<{ href: string; text: string }>;
    }
  | { routing_key: string; event_action: 'resolve'; dedup_key: string };

/**
 * One incident per pipeline and branch (provider, repository, pipeline name, branch): every red run
 * of it updates the same incident, and the run that fixes it resolves it.
 */
export function pagerDutyDedupKey(event: CiEvent): string {
  return `ci-relay/${seriesKey(event)}`;
}

/** What the sink does with an event: trigger on a failed pipeline, resolve on a fixed one, nothing otherwise. */
export function pagerDutyAction(event: CiEvent): 'trigger' | 'resolve' | undefined {
  if (event.kind !== 'pipeline') return undefined;
  if (failingStatuses.has(event.status)) return 'trigger';
  if (event.transition === 'fixed') return 'resolve';
  return undefined;
}

/** The trigger event of a failed run. Summary at most 1024 characters, as PagerDuty requires. */
export function renderPagerDutyTrigger(
  summary: RunSummary,
  routingKey: string,
  dedupKey: string,
  severity: 'critical' | 'error' | 'warning' | 'info',
): PagerDutyEvent {
  const { run, facts } = summary;
  const details: Record<string, string | string[]> = {
    status: `${facts.statusWord}${facts.transitionWord ? ` (${facts.transitionWord})` : ''}`,
    repository: run.repository.name,
    run: facts.pipelineLabel,
    commit: [facts.shortSha, facts.commitTitle, facts.author && `by ${facts.author}`]
      .filter(Boolean)
      .join(' '),
  };
  if (summary.where) details[summary.where.label.toLowerCase()] = summary.where.value;
  if (summary.failedJobs.length > 0) details.failed_jobs = summary.failedJobs.map((j) => j.name);
  if (run.pipeline.url) details.url = run.pipeline.url;
  return {
    routing_key: routingKey,
    event_action: 'trigger',
    dedup_key: dedupKey,
    client: 'ci-relay',
    ...(summary.links[0] && { client_url: summary.links[0].url }),
    payload: {
      summary: summary.headline.slice(0, 1024),
      source: run.repository.name,
      severity,
      ...((run.finishedAt ?? run.receivedAt) && { timestamp: run.finishedAt ?? run.receivedAt }),
      component: run.pipeline.name,
      ...(summary.where && { group: summary.where.value }),
      class: 'ci',
      custom_details: details,
    },
    links: summary.links.map((l) => ({ href: l.url, text: l.title })),
  };
}

/** PagerDuty's error body: `{ status, message, errors: [...] }`. */
export function explainPagerDutyError(answer: JsonAnswer): string | undefined {
  const json = answer.json as { message?: unknown; errors?: unknown } | undefined;
  if (typeof json?.message !== 'string') return undefined;
  const errors = Array.isArray(json.errors) ? json.errors.filter((e) => typeof e === 'string') : [];
  return errors.length > 0 ? `${json.message}: ${errors.join('; ')}` : json.message;
}

/**
 * Sends Events API v2 events: `trigger` for a failed pipeline (severity from the config), `resolve`
 * when the pipeline is fixed, both under one `dedup_key` per pipeline and branch; other events are
 * skipped. PagerDuty answers 202; 400 is an invalid event (permanent), 429 throttles (retried).
 * https://developer.pagerduty.com/api-reference/368ae3d938c9e-send-an-event-to-pager-duty
 */
export function createPagerDutySink(config: PagerDutySinkConfig, deps: SinkDeps): Sink {
  const { runs, log, now = Date.now } = deps;
  const name = `pagerduty[${config.id}]`;
  const agent = new Agent({ keepAliveTimeout: 30_000, connections: 8 });
  const severity = config.severity ?? 'error';
  const send = (body: PagerDutyEvent) =>
    postJson(config.apiUrl ?? defaultPagerDutyApiUrl, body, {
      name,
      dispatcher: agent,
      timeoutMs: config.timeoutMs ?? defaultWebhookTimeoutMs,
      now,
      explain: explainPagerDutyError,
      secrets: [config.routingKey],
    });
  return {
    id: config.id,
    type: 'pagerduty',
    async deliver(notification: Notification) {
      const { event } = notification;
      const action = pagerDutyAction(event);
      if (action === undefined) {
        log.debug(
          { event: event.id },
          `[sink] ${name}: neither a failed nor a fixed pipeline; nothing to send`,
        );
        return 'skipped';
      }
      const dedupKey = pagerDutyDedupKey(event);
      if (action === 'resolve') {
        await send({ routing_key: config.routingKey, event_action: 'resolve', dedup_key: dedupKey });
        return;
      }
      const summary = await summarizeRun(notification, runs);
      await send(renderPagerDutyTrigger(summary, config.routingKey, dedupKey, severity));
    },
    close: () => agent.close(),
  };
}

import type { CiEvent, CiStatus } from '../../src/event/ci-event-schema';
import { compileTemplate, type Template } from '../template/compile-template';
import { messageFacts, type MessageFacts } from '../template/message-facts';
import type { SlackTemplates } from './config';
import { escapeMrkdwn } from './mrkdwn';
import { statusStyles } from './status-style';

/**
 * What a Slack template sees: the {@link MessageFacts} of the event (for `text` and `headline` the run as
 * a whole, for `reply` the failed job), the event itself, and Slack-specific extras. Every string is
 * mrkdwn-escaped before rendering; a field the event lacks renders empty.
 */
export interface SlackTemplateContext extends MessageFacts {
  /** The run (`text`, `headline`) or the job (`reply`). */
  event: CiEvent;
  status: CiStatus;
  /** `:x:`, `:white_check_mark:`, ... */
  emoji: string;
  /** `owner/repo` */
  repository: string;
  repositoryUrl: string | undefined;
  pipelineUrl: string | undefined;
  commitUrl: string | undefined;
}

/** The templates used when a sink or route does not override them. */
export const defaultSlackTemplates: Required<SlackTemplates> = {
  text: '{{headline}}',
  headline:
    '{{emoji}} *{{#if repositoryUrl}}<{{repositoryUrl}}|{{repository}}>{{else}}{{repository}}{{/if}}* ' +
    '{{#if pipelineUrl}}<{{pipelineUrl}}|{{pipelineLabel}}>{{else}}{{pipelineLabel}}{{/if}} *{{statusWord}}*' +
    '{{#if where}} on `{{where}}`{{/if}}{{#if transitionWord}} ({{transitionWord}}){{/if}}',
  reply:
    '{{emoji}} Job {{#if url}}<{{url}}|{{event.job.name}}>{{else}}{{event.job.name}}{{/if}} *{{statusWord}}*' +
    '{{#if event.job.stage}} in stage `{{event.job.stage}}`{{/if}}{{#if event.durationMs}} after {{humanDuration event.durationMs}}{{/if}}',
};

/** The three templates of one sink/route combination, compiled. */
export type SlackTemplateSet = Record<keyof Required<SlackTemplates>, Template>;

/** Compiles `overrides` over the defaults (throws on a template that does not compile; config load checks first). */
export function compileSlackTemplates(overrides: SlackTemplates = {}): SlackTemplateSet {
  const source = { ...defaultSlackTemplates, ...overrides };
  return {
    text: compileTemplate(source.text, escapeMrkdwn),
    headline: compileTemplate(source.headline, escapeMrkdwn),
    reply: compileTemplate(source.reply, escapeMrkdwn),
  };
}

/** The template context of `event`. */
export function slackTemplateContext(event: CiEvent): SlackTemplateContext {
  return {
    ...messageFacts(event),
    event,
    status: event.status,
    emoji: statusStyles[event.status].emoji,
    repository: event.repository.name,
    repositoryUrl: event.repository.url,
    pipelineUrl: event.pipeline.url,
    commitUrl: event.commit.url,
  };
}

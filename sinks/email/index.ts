import nodemailer, {
  type SMTPSentMessageInfo,
  type SMTPTransportOptions,
  type Transporter,
} from 'nodemailer';
import type { CiEvent } from '../../src/event/ci-event-schema';
import type { RunSnapshot, Sink, SinkDeps } from '../../src/contracts/sink';
import { mailboxOf, uniqueRecipients } from './addresses';
import { classifySmtpError } from './classify-smtp-error';
import { defaultEmailTimeoutMs, type EmailRouteOptions, type EmailSinkConfig } from './config';
import {
  compileEmailTemplates,
  emailContext,
  renderEmail,
  type EmailTemplateSources,
  type EmailTemplates,
} from './render-email';
import { createRedactor, describeSmtp, smtpOptions, smtpSecrets } from './smtp-options';
import { createFailureStreaks } from './failure-streaks';
import { messageIdDomain, threadHeaders } from './thread-headers';
import { emailSkipReason, isFailure } from './wants-email';

// Addresses that take no mail: GitHub's and GitLab's private commit emails, and plain no-reply ones.
const undeliverable = /^(?:no-?reply@|[^@]*@users\.noreply\.)/i;

/** The commit author's address, when the event has one that takes mail. */
function authorAddress(event: CiEvent): string | undefined {
  const email = event.commit.author?.email;
  const mailbox = email === undefined ? undefined : mailboxOf(email);
  return mailbox !== undefined && !undeliverable.test(mailbox) ? mailbox : undefined;
}

/**
 * A groupWait window's jobs as one run for the mail: the run failed when any of them did. Timing and the
 * job are the last event's and are left out.
 */
function groupAsRun(latest: CiEvent, jobs: readonly CiEvent[]): CiEvent {
  const failed = jobs.find((j) => isFailure(j));
  const status = failed?.status ?? latest.status;
  const run: CiEvent = { ...latest, kind: 'pipeline', status, providerStatus: status };
  delete run.job;
  delete run.durationMs;
  delete run.finishedAt;
  return run;
}

/**
 * Mails finished pipelines (by default) as HTML + plain text over SMTP, through a connection pool made
 * once per sink. Every mail about one run threads together (see {@link threadHeaders}), and so do the
 * runs of one failing streak with the mail of the run that fixes it (see {@link createFailureStreaks}); its Message-ID
 * is the notification id, so a retry that repeats a mail the server had already taken is the same
 * message. 4xx replies and connection failures are retried, 5xx replies dead-letter the notification.
 */
export function createEmailSink(config: EmailSinkConfig, deps: SinkDeps): Sink {
  const { log, runs, redis, keyPrefix = `ci-relay:sink:${config.id}`, now = Date.now } = deps;
  // Without Redis (send-test) each run is its own thread.
  const streaks = redis ? createFailureStreaks({ redis, keyPrefix }) : undefined;
  const name = `email[${config.id}]`;
  const timeoutMs = config.timeoutMs ?? defaultEmailTimeoutMs;
  const redact = createRedactor(smtpSecrets(config.smtp));
  const domain = messageIdDomain(config.from);
  const options = smtpOptions(config, timeoutMs);
  const transport: Transporter<SMTPSentMessageInfo> = options.pool
    ? nodemailer.createTransport({ ...options, pool: true })
    : nodemailer.createTransport(options as SMTPTransportOptions);
  // A pooled connection that fails between sends is reported here; the next send reconnects.
  transport.on('error', (err: Error) =>
    log.warn({ err: redact(err.message) }, `${name}: SMTP connection error`),
  );
  log.debug(`${name}: sending through ${describeSmtp(config.smtp)}${options.pool ? ' (pooled)' : ''}`);

  const sinkTemplates = compileEmailTemplates(config.templates);
  // Route templates are merged key by key over the sink's; compiled once per distinct set.
  const routeTemplates = new Map<string, EmailTemplates>();
  const templatesFor = (overrides: EmailTemplateSources | undefined): EmailTemplates => {
    if (!overrides) return sinkTemplates;
    const sources = { ...config.templates, ...overrides };
    const key = JSON.stringify(sources);
    let compiled = routeTemplates.get(key);
    if (!compiled) {
      compiled = compileEmailTemplates(sources);
      routeTemplates.set(key, compiled);
    }
    return compiled;
  };

  const snapshotOf = async (event: CiEvent): Promise<RunSnapshot | undefined> => {
    if (!runs || event.kind !== 'pipeline') return undefined;
    try {
      return await runs.get(event);
    } catch (err) {
      // The mail still says what happened; only the list of failed jobs is missing.
      log.warn({ err, event: event.id }, `${name}: could not read the run's jobs`);
      return undefined;
    }
  };

  return {
    id: config.id,
    type: 'email',
    async deliver(notification) {
      // Checked against emailRouteOptionsSchema when the config loaded.
      const routeOptions = (notification.options ?? {}) as EmailRouteOptions;
      // A groupWait notification is one mail about the run, listing the jobs the sink's filter takes.
      const wanted = notification.group?.events.filter(
        (e) => emailSkipReason(config, { ...notification, event: e }) === undefined,
      );
      if (wanted ? wanted.length === 0 : emailSkipReason(config, notification) !== undefined)
        return 'skipped';
      const event = wanted ? groupAsRun(notification.event, wanted) : notification.event;

      const author =
        (routeOptions.notifyAuthor ?? config.notifyAuthor ?? false) && isFailure(event)
          ? authorAddress(event)
          : undefined;
      const to = uniqueRecipients([...(routeOptions.to ?? config.to), ...(author ? [author] : [])]);
      const cc = uniqueRecipients(routeOptions.cc ?? config.cc ?? [], to);

      const context = emailContext({
        event,
        snapshot: wanted ? { version: 0, pipeline: event, jobs: wanted } : await snapshotOf(event),
        route: notification.route,
        sink: config.id,
      });
      const { subject, text, html } = renderEmail(context, templatesFor(routeOptions.templates));
      const thread = threadHeaders(notification.id, event, domain, await streaks?.threadOf(event));

      let info: SMTPSentMessageInfo;
      try {
        info = await transport.sendMail({
          from: config.from,
          to,
          ...(cc.length > 0 && { cc }),
          subject,
          text,
          html,
          date: new Date(now()),
          messageId: thread.messageId,
          inReplyTo: thread.inReplyTo,
          references: thread.references,
          headers: {
            ...thread.headers,
            // RFC 3834: an automatic message; vacation responders and Exchange should not answer it.
            'Auto-Submitted': 'auto-generated',
            'X-Auto-Response-Suppress': 'All',
          },
          // Covers a server that trickles its replies, which no socket timeout notices.
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (err) {
        throw classifySmtpError(err, name, redact);
      }
      // The server took the message for some recipients and refused others: sending again would
      // repeat it to the ones that got it, so the refusals are logged instead.
      if (info.rejected.length > 0) {
        log.warn(
          {
            notification: notification.id,
            rejected: info.rejected,
            reasons: (info.rejectedErrors ?? []).map((e) => redact(e.message)),
          },
          `${name}: some recipients were refused`,
        );
      }
      await streaks?.sent(event);
      log.debug(
        { notification: notification.id, messageId: thread.messageId, recipients: info.accepted.length },
        `${name}: sent`,
      );
    },
    async close() {
      transport.close();
    },
  };
}

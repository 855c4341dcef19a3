import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import request from 'supertest';
import type { AddressObject } from 'mailparser';
import { sendTest } from '../../src/cli/send-test';
import { parseConfig } from '../../src/config/load-config';
import type { CiEvent } from '../../src/event/ci-event-schema';
import { latestJobsByName } from '../../src/event/latest-jobs';
import { createLogger } from '../../src/log/create-logger';
import { deliveryQueueName } from '../../src/pipeline/queue-names';
import {
  PermanentDeliveryError,
  RetryableDeliveryError,
  type DeliveryError,
} from '../../src/contracts/delivery-errors';
import type { EmailSinkConfig } from '../../sinks/email/config';
import { createEmailSink } from '../../sinks/email/index';
import type { Notification, RunSnapshots, Sink } from '../../src/contracts/sink';
import { sampleEvent } from '../helpers/sample-event';
import { githubSignature } from '../helpers/sign';
import { Redis } from 'ioredis';
import { finishedDeliveries } from '../helpers/finished-deliveries';
import { freePort, startRedis, type TestRedis } from '../helpers/start-redis';
import {
  always,
  inTurn,
  startSmtpServer,
  type ReceivedMail,
  type TestSmtpServer,
} from '../helpers/start-smtp-server';
import { startTestRelay, waitFor, type TestRelay } from '../helpers/start-test-relay';

const log = createLogger('silent');
const fixedNowMs = Date.UTC(2024, 4, 1, 12, 0, 7);
const now = () => fixedNowMs;

function notification(overrides: Partial<Notification> = {}): Notification {
  return {
    id: 'msg_5b7c0e0d1f2a3b4c5d6e7f8091a2b3c4',
    route: 'main-failures',
    event: sampleEvent({ transition: 'broken' }),
    ...overrides,
  };
}

function sinkConfig(
  smtp: EmailSinkConfig['smtp'],
  overrides: Partial<EmailSinkConfig> = {},
): EmailSinkConfig {
  return {
    id: 'oncall-mail',
    type: 'email',
    smtp,
    from: 'ci-relay <ci@relay.example>',
    to: ['oncall@acme.example'],
    ...overrides,
  };
}

/** A run whose snapshot holds two failed jobs and a passed one. */
const runs: RunSnapshots = {
  async get(event: CiEvent) {
    const job = (name: string, status: CiEvent['status']): CiEvent =>
      sampleEvent({
        kind: 'job',
        status,
        job: { id: name, name, url: `https://github.com/acme/web/actions/runs/9012345678/job/${name}` },
        pipeline: event.pipeline,
      });
    return {
      version: 4,
      pipeline: event,
      jobs: [job('unit', 'failure'), job('lint', 'success'), job('e2e', 'failure')],
    };
  },
};

/** Asserts `promise` rejects with an instance of `type` and returns the error for more checks. */
async function rejection<E extends DeliveryError>(
  promise: Promise<unknown>,
  type: abstract new (...args: never[]) => E,
): Promise<E> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof type, `expected ${type.name}, got ${String(error)}`);
    return error;
  }
  assert.fail(`expected ${type.name}, but the delivery succeeded`);
}

const addresses = (field: AddressObject | AddressObject[] | undefined) =>
  (Array.isArray(field) ? field : field ? [field] : []).flatMap((a) => a.value.map((v) => v.address));

describe('email sink (against a local SMTP server)', function () {
  let server: TestSmtpServer;
  let sink: Sink | undefined;

  beforeEach(async () => {
    server = await startSmtpServer();
  });
  afterEach(async () => {
    await sink?.close?.();
    sink = undefined;
    await server.close();
  });

  const only = (): ReceivedMail => {
    assert.equal(server.mails.length, 1);
    const [mail] = server.mails;
    assert.ok(mail);
    return mail;
  };

  it('mails a failed pipeline: subject, both bodies, recipients and threading headers', async () => {
    sink = createEmailSink(sinkConfig(server.url, { cc: ['lead@acme.example'] }), { log, runs, now });
    const n = notification();

    assert.equal(await sink.deliver(n, { attempt: 1 }), undefined);

    assert.equal(sink.type, 'email');
    const { parsed, from, to } = only();
    assert.equal(from, 'ci@relay.example');
    assert.deepEqual(to, ['oncall@acme.example', 'lead@acme.example']);
    assert.equal(parsed.subject, '[acme/web] CI failed on main: #1234 "Fix checkout total rounding"');
    assert.deepEqual(addresses(parsed.to), ['oncall@acme.example']);
    assert.deepEqual(addresses(parsed.cc), ['lead@acme.example']);
    assert.equal(parsed.from?.text, '"ci-relay" <ci@relay.example>');
    assert.equal(parsed.date?.getTime(), fixedNowMs);

    assert.equal(parsed.messageId, `<${n.id}@relay.example>`);
    assert.match(String(parsed.inReplyTo), /^<run\.[0-9a-f]{32}@relay\.example>$/);
    assert.equal(parsed.references, parsed.inReplyTo);
    assert.equal(parsed.headers.get('auto-submitted'), 'auto-generated');
    assert.equal(parsed.headers.get('thread-topic'), '[acme/web] CI #1234');

    const text = parsed.text ?? '';
    for (const fact of [
      'Status:        Failed (newly broken)',
      'Repository:    acme/web',
      'Branch:        main',
      'Pipeline:      CI #1234 <https://github.com/acme/web/actions/runs/9012345678>',
      'Commit:        9f2c4e1 "Fix checkout total rounding" by Mona Lisa Octocat',
      'Duration:      4m 50s',
      'Triggered by:  octocat',
      '  - e2e <https://github.com/acme/web/actions/runs/9012345678/job/e2e>',
      '  - unit <https://github.com/acme/web/actions/runs/9012345678/job/unit>',
      'View the run: https://github.com/acme/web/actions/runs/9012345678',
    ])
      assert.ok(text.includes(fact), `text body lacks ${JSON.stringify(fact)}:\n${text}`);
    assert.doesNotMatch(text, /lint/);

    const html = parsed.html || '';
    assert.match(
      html,
      /<h1[^>]*>\[acme\/web\] CI failed on main: #1234 &#34;Fix checkout total rounding&#34;<\/h1>/,
    );
    assert.match(html, /<code>9f2c4e1<\/code>/);
    assert.match(html, />e2e<\/a><\/li>/);
    assert.match(
      html,
      /href="https:\/\/github\.com\/acme\/web\/actions\/runs\/9012345678"[^>]*>View run<\/a>/,
    );
  });

  it('mails a partially re-run run that passed as fixed and flaky, listing no failed job', async () => {
    /** Attempt 1 failed `unit`; attempt 2 re-ran only `unit`, which passed; `lint` passed on attempt 1. */
    const rerun: RunSnapshots = {
      async get(event: CiEvent) {
        const job = (name: string, status: CiEvent['status'], attempt: number): CiEvent =>
          sampleEvent({
            kind: 'job',
            status,
            job: { id: `${name}-${attempt}`, name },
            pipeline: { ...event.pipeline, attempt },
          });
        return {
          version: 5,
          pipeline: event,
          jobs: latestJobsByName([
            job('unit', 'failure', 1),
            job('lint', 'success', 1),
            job('unit', 'success', 2),
          ]),
        };
      },
    };
    sink = createEmailSink(sinkConfig(server.url), { log, runs: rerun, now });
    const fixed = sampleEvent({
      status: 'success',
      transition: 'fixed',
      flaky: true,
      pipeline: { id: '9012345678', name: 'CI', number: 1234, attempt: 2 },
    });
    await sink.deliver(notification({ event: fixed }), { attempt: 1 });
    const { parsed } = only();
    assert.match(parsed.text ?? '', /Status: {8}Passed \(fixed\)/);
    assert.match(parsed.text ?? '', /Flaky: {9}passed on attempt 2 after failing: flaky\?/);
    assert.doesNotMatch(parsed.text ?? '', /Failed jobs/);
    assert.match(parsed.html || '', /passed on attempt 2 after failing: flaky\?/);
  });

  it('threads every mail of a run together, and a retried mail keeps its Message-ID', async () => {
    sink = createEmailSink(sinkConfig(server.url, { on: ['started', 'finished'] }), { log, now });
    const running = notification({ id: 'msg_started', event: sampleEvent({ status: 'running' }) });
    const failed = notification({ id: 'msg_failed' });
    const rerun = notification({
      id: 'msg_rerun',
      event: sampleEvent({
        status: 'success',
        transition: 'fixed',
        pipeline: { ...sampleEvent().pipeline, attempt: 2 },
      }),
    });

    for (const n of [running, failed, failed, rerun]) await sink.deliver(n, { attempt: 1 });

    const ids = server.mails.map((m) => m.parsed.messageId);
    assert.deepEqual(ids, [
      '<msg_started@relay.example>',
      '<msg_failed@relay.example>',
      '<msg_failed@relay.example>',
      '<msg_rerun@relay.example>',
    ]);
    const roots = new Set(server.mails.map((m) => String(m.parsed.inReplyTo)));
    assert.equal(roots.size, 1);
    assert.ok(server.mails.every((m) => m.parsed.references === m.parsed.inReplyTo));
    assert.equal(new Set(server.mails.map((m) => m.parsed.headers.get('thread-index'))).size, 1);
    assert.match(server.mails[3]?.parsed.subject ?? '', /CI passed on main: #1234/);
  });

  it('skips job events and starts by default, without talking to the server', async () => {
    sink = createEmailSink(sinkConfig(server.url), { log, now });
    const job = sampleEvent({ kind: 'job', job: { id: '1', name: 'test' } });
    assert.equal(await sink.deliver(notification({ event: job }), { attempt: 1 }), 'skipped');
    assert.equal(
      await sink.deliver(notification({ event: sampleEvent({ status: 'running' }) }), { attempt: 1 }),
      'skipped',
    );
    assert.equal(server.connections(), 0);
    assert.equal(server.mails.length, 0);
  });

  it('takes recipients, filter and templates from the route options', async () => {
    sink = createEmailSink(
      sinkConfig(server.url, { cc: ['lead@acme.example'], templates: { text: 'sink: {{headline}}' } }),
      {
        log,
        now,
      },
    );
    const options = {
      to: ['web@acme.example'],
      on: ['jobs'],
      templates: { subject: '[{{route}}] {{event.job.name}} {{statusWord}}' },
    };
    const job = sampleEvent({ kind: 'job', job: { id: '1', name: 'test' } });

    assert.equal(
      await sink.deliver(notification({ options, event: sampleEvent() }), { attempt: 1 }),
      'skipped',
    );
    await sink.deliver(notification({ options, event: job }), { attempt: 1 });

    const { parsed, to } = only();
    assert.deepEqual(to, ['web@acme.example', 'lead@acme.example']);
    assert.equal(parsed.subject, '[main-failures] test failed');
    assert.match(parsed.text ?? '', /^sink: \[acme\/web\] CI \/ test failed on main/);
  });

  it('adds the commit author on failures with notifyAuthor, never a no-reply address', async () => {
    sink = createEmailSink(
      sinkConfig(server.url, { notifyAuthor: true, to: ['oncall@acme.example', 'MONA@acme.example'] }),
      {
        log,
        now,
      },
    );
    const withAuthor = (email: string, status: CiEvent['status']) =>
      sampleEvent({ status, commit: { ...sampleEvent().commit, author: { name: 'Hubot', email } } });

    await sink.deliver(notification({ id: 'msg_1', event: withAuthor('hubot@acme.example', 'failure') }), {
      attempt: 1,
    });
    await sink.deliver(notification({ id: 'msg_2', event: withAuthor('hubot@acme.example', 'success') }), {
      attempt: 1,
    });
    await sink.deliver(
      notification({ id: 'msg_3', event: withAuthor('1234+hubot@users.noreply.github.com', 'failure') }),
      { attempt: 1 },
    );
    await sink.deliver(notification({ id: 'msg_4', event: withAuthor('mona@acme.example', 'error') }), {
      attempt: 1,
    });

    assert.deepEqual(
      server.mails.map((m) => m.to),
      [
        ['oncall@acme.example', 'MONA@acme.example', 'hubot@acme.example'],
        ['oncall@acme.example', 'MONA@acme.example'],
        ['oncall@acme.example', 'MONA@acme.example'],
        ['oncall@acme.example', 'MONA@acme.example'],
      ],
    );
  });

  it('fails with a retryable serverError on 451 and delivers once on the next attempt', async () => {
    server.answerWith(inTurn(451));
    sink = createEmailSink(sinkConfig(server.url), { log, now });
    const n = notification();

    const error = await rejection(sink.deliver(n, { attempt: 1 }), RetryableDeliveryError);
    assert.equal(error.reason, 'serverError');
    assert.equal(error.status, 451);
    assert.match(error.message, /^email\[oncall-mail\]: SMTP 451/);
    assert.ok(error.cause !== undefined, 'keeps the cause');

    await sink.deliver(n, { attempt: 2 });
    assert.equal(server.dataAttempts(), 2);
    assert.equal(only().parsed.messageId, `<${n.id}@relay.example>`);
  });

  it('fails permanently with clientError on 550', async () => {
    server.answerWith(always(550));
    sink = createEmailSink(sinkConfig(server.url), { log, now });

    const error = await rejection(sink.deliver(notification(), { attempt: 1 }), PermanentDeliveryError);

    assert.equal(error.reason, 'clientError');
    assert.equal(error.status, 550);
    assert.equal(error.retryable, false);
    assert.match(error.message, /SMTP 550 after DATA: 550 Message refused/);
    assert.equal(server.mails.length, 0);
  });

  it('sends to the recipients the server takes when it refuses some', async () => {
    await server.close();
    server = await startSmtpServer({ rejectRecipients: ['gone@acme.example'] });
    sink = createEmailSink(sinkConfig(server.url, { to: ['gone@acme.example', 'oncall@acme.example'] }), {
      log,
      now,
    });

    await sink.deliver(notification(), { attempt: 1 });

    assert.deepEqual(only().to, ['oncall@acme.example']);
  });

  it('fails permanently when the server refuses every recipient', async () => {
    await server.close();
    server = await startSmtpServer({ rejectRecipients: ['oncall@acme.example'] });
    sink = createEmailSink(sinkConfig(server.url), { log, now });

    const error = await rejection(sink.deliver(notification(), { attempt: 1 }), PermanentDeliveryError);
    assert.equal(error.status, 550);
  });

  it('logs in with credentials from a server object or a URL', async () => {
    await server.close();
    server = await startSmtpServer({ auth: { user: 'relay', pass: 'p@ss word' } });
    const object = createEmailSink(
      sinkConfig({ host: server.host, port: server.port, auth: { user: 'relay', pass: 'p@ss word' } }),
      { log, now },
    );
    const url = createEmailSink(sinkConfig(`smtp://relay:p%40ss%20word@127.0.0.1:${server.port}`), {
      log,
      now,
    });
    try {
      await object.deliver(notification({ id: 'msg_object' }), { attempt: 1 });
      await url.deliver(notification({ id: 'msg_url' }), { attempt: 1 });
    } finally {
      await object.close?.();
      await url.close?.();
    }
    assert.equal(server.logins(), 2);
    assert.equal(server.mails.length, 2);
  });

  it('fails permanently with authError on bad credentials, and the message holds no password', async () => {
    await server.close();
    server = await startSmtpServer({ auth: { user: 'relay', pass: 'right' } });
    sink = createEmailSink(sinkConfig(`smtp://relay:wr%3Dong-pw@127.0.0.1:${server.port}`), { log, now });

    const error = await rejection(sink.deliver(notification(), { attempt: 1 }), PermanentDeliveryError);

    assert.equal(error.reason, 'authError');
    assert.equal(error.status, 535);
    assert.doesNotMatch(error.message, /wr%3Dong-pw|wr=ong-pw/);
    assert.equal(server.mails.length, 0);
  });

  it('fails with a retryable network error when nothing listens', async () => {
    const port = await freePort();
    sink = createEmailSink(sinkConfig(`smtp://127.0.0.1:${port}`), { log, now });

    const error = await rejection(sink.deliver(notification(), { attempt: 1 }), RetryableDeliveryError);

    assert.equal(error.reason, 'network');
    assert.match(error.message, /ECONNREFUSED/);
    assert.equal(error.status, undefined);
  });

  it('fails with a retryable timeout when the server never answers the message', async () => {
    server.answerWith(always('hang'));
    sink = createEmailSink(sinkConfig(server.url, { timeoutMs: 1000 }), { log, now });
    const started = Date.now();

    const error = await rejection(sink.deliver(notification(), { attempt: 1 }), RetryableDeliveryError);

    assert.equal(error.reason, 'timeout');
    assert.ok(Date.now() - started < 5000, 'gave up near timeoutMs');
  });

  it('reuses one pooled connection, or opens one per mail with pool: false', async () => {
    sink = createEmailSink(sinkConfig(server.url), { log, now });
    for (const id of ['msg_a', 'msg_b', 'msg_c']) await sink.deliver(notification({ id }), { attempt: 1 });
    assert.equal(server.connections(), 1);
    await sink.close?.();

    sink = createEmailSink(sinkConfig(server.url, { pool: false }), { log, now });
    for (const id of ['msg_d', 'msg_e']) await sink.deliver(notification({ id }), { attempt: 1 });
    assert.equal(server.connections(), 3);
    assert.equal(server.mails.length, 5);
  });

  it('sends the send-test sample through the sink, with only a logger: plainly a test, never to an author', async () => {
    const config = parseConfig(
      `
version: 1
sources: [{ id: github, provider: github, secrets: [x] }]
sinks:
  - { id: oncall-mail, type: email, smtp: "${server.url}", from: "ci@relay.example", to: [oncall@acme.example], notifyAuthor: true }
routes: [{ name: all, sinks: [oncall-mail] }]
`,
      'relay.yaml',
      {},
    );

    const line = await sendTest(config, 'oncall-mail', log);

    assert.match(line, /^email\[oncall-mail\]: sample notification msg_test_\w+ sent$/);
    const { parsed } = only();
    assert.equal(
      parsed.subject,
      '[TEST/send-test] ci-relay send-test failed on main: #1 "This is a test notification from ci-relay send-test: no build ran or failed"',
    );
    assert.match(parsed.text ?? '', /Status: {8}Failed \(newly broken\)/);
    assert.deepEqual(only().to, ['oncall@acme.example'], 'the sample names no author to mail');
  });
});

const fixture = (name: string) => readFileSync(join(__dirname, '../fixtures/github', name), 'utf8');
const githubSecret = 'email-integration-github-secret';
const smtpPassword = 'smtp-pass-Zq81';

describe('email sink end to end (relay, real Redis, local SMTP server)', function () {
  this.timeout(30_000);
  let redis: TestRedis;
  let server: TestSmtpServer;
  let relay: TestRelay;

  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    await redis.stop();
  });
  beforeEach(async () => {
    server = await startSmtpServer({ auth: { user: 'relay', pass: smtpPassword } });
    relay = await startTestRelay({
      redisUrl: redis.url,
      env: { GITHUB_SECRET: githubSecret, SMTP_PASS: smtpPassword },
      configYaml: `
version: 1
sources:
  - id: github
    provider: github
    secrets: ["\${GITHUB_SECRET}"]
sinks:
  - id: mail
    type: email
    smtp: { host: 127.0.0.1, port: ${server.port}, auth: { user: relay, pass: "\${SMTP_PASS}" } }
    from: "ci-relay <ci@relay.example>"
    to: [oncall@acme.example]
    retry: { attempts: 3, initialDelayMs: 50, maxDelayMs: 200 }
routes:
  - name: everything
    sinks: [mail]
`,
    });
  });
  afterEach(async () => {
    await relay.close();
    await server.close();
    for (const line of relay.logLines)
      assert.ok(!line.includes(smtpPassword), `the SMTP password was logged: ${line}`);
  });

  const post = (event: string, body: string) =>
    request(relay.url)
      .post('/hooks/github')
      .set('content-type', 'application/json')
      .set('x-github-event', event)
      .set('x-github-delivery', randomUUID())
      .set('x-hub-signature-256', githubSignature(githubSecret, body))
      .send(body);

  const withQueue = async <T>(use: (queue: Queue) => Promise<T>): Promise<T> => {
    const queue = new Queue(deliveryQueueName('mail'), {
      connection: { url: redis.url },
      prefix: relay.prefix,
    });
    try {
      return await use(queue);
    } finally {
      await queue.close();
    }
  };

  it('mails a failed workflow run once, listing its failed job; the job event itself is not mailed', async () => {
    assert.equal((await post('workflow_job', fixture('workflow_job.completed.failure.json'))).status, 202);
    const client = new Redis(redis.url);
    await waitFor(async () => (await finishedDeliveries(client, relay.prefix, 'mail')) === 1).finally(() =>
      client.disconnect(),
    );
    assert.equal(server.mails.length, 0, 'a job event is not mailed by default');

    assert.equal((await post('workflow_run', fixture('workflow_run.completed.failure.json'))).status, 202);
    await waitFor(() => server.mails.length === 1);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(server.mails.length, 1);

    const [mail] = server.mails;
    assert.ok(mail);
    assert.equal(mail.parsed.subject, '[acme/widgets] CI failed on main: #419 "Bump grpc-js to 1.10.8"');
    assert.match(mail.parsed.text ?? '', /Status: {8}Failed \(newly broken\)/);
    assert.match(mail.parsed.text ?? '', /Failed jobs:\n {2}- test \(node 20\)/);
    assert.match(mail.parsed.html || '', />test \(node 20\)</);
    assert.match(mail.parsed.messageId ?? '', /^<msg_[0-9a-f]{32}@relay\.example>$/);
    assert.match(String(mail.parsed.inReplyTo), /^<run\.[0-9a-f]{32}@relay\.example>$/);
    assert.equal(server.logins(), 1);
  });

  it('retries a 451 and delivers the mail once', async () => {
    server.answerWith(inTurn(451));
    assert.equal((await post('workflow_run', fixture('workflow_run.completed.failure.json'))).status, 202);
    await waitFor(() => server.mails.length === 1);
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(server.mails.length, 1);
    assert.equal(server.dataAttempts(), 2);
  });

  it('dead-letters a mail the server refuses with 550, without retrying', async () => {
    server.answerWith(always(550));
    assert.equal((await post('workflow_run', fixture('workflow_run.completed.failure.json'))).status, 202);
    await withQueue(async (queue) => {
      await waitFor(async () => (await queue.getFailedCount()) === 1);
      await new Promise((r) => setTimeout(r, 300));
      const [failed] = await queue.getFailed();
      assert.match(failed?.failedReason ?? '', /^email\[mail\]: SMTP 550 after DATA/);
      assert.equal(failed?.attemptsMade, 1);
    });
    assert.equal(server.dataAttempts(), 1);
    assert.equal(server.mails.length, 0);
  });
});

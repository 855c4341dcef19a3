import assert from 'node:assert/strict';
import type { IncomingHttpHeaders } from 'node:http';
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import { createSink, sinkFactories, type SinkConfig, type SinkType } from '../../sinks';
import { sendTest } from '../../src/cli/send-test';
import { parseConfig } from '../../src/config/load-config';
import { DeliveryError, RateLimitedError } from '../../src/contracts/delivery-errors';
import type { Notification } from '../../src/contracts/sink';
import { createLogger } from '../../src/log/create-logger';
import { createRunStore } from '../../src/pipeline/create-run-store';
import { sampleEvent } from '../helpers/sample-event';
import { startFakeSlack } from '../helpers/start-fake-slack';
import { freePort, startRedis, type TestRedis } from '../helpers/start-redis';
import { always, inTurn, startSmtpServer } from '../helpers/start-smtp-server';
import { waitFor } from '../helpers/start-test-relay';
import { startFakeDiscord } from '../helpers/stand-ins/fake-discord';
import { startFakeGoogleChat } from '../helpers/stand-ins/fake-google-chat';
import { startFakeMattermost } from '../helpers/stand-ins/fake-mattermost';
import { startFakePagerDuty } from '../helpers/stand-ins/fake-pagerduty';
import { startFakeTeams } from '../helpers/stand-ins/fake-teams';
import { startStandIn, type StandIn, type StandInAnswer } from '../helpers/stand-ins/start-stand-in';

/** What a delivery should come to. */
type Outcome = 'sent' | 'retry' | 'permanent';

/** One answer of the service (HTTP status, or none), and what the sink must make of it. */
interface Row {
  name: string;
  answer: { status: number; retryAfter?: string } | 'timeout' | 'refused';
  expect: Outcome;
}

const rows: Row[] = [
  { name: '200 (the service took it)', answer: { status: 200 }, expect: 'sent' },
  { name: '400', answer: { status: 400 }, expect: 'permanent' },
  { name: '401', answer: { status: 401 }, expect: 'permanent' },
  { name: '404', answer: { status: 404 }, expect: 'permanent' },
  { name: '413', answer: { status: 413 }, expect: 'permanent' },
  { name: '429 with Retry-After', answer: { status: 429, retryAfter: '2' }, expect: 'retry' },
  { name: '429 without Retry-After', answer: { status: 429 }, expect: 'retry' },
  { name: '500', answer: { status: 500 }, expect: 'retry' },
  { name: '503', answer: { status: 503 }, expect: 'retry' },
  { name: 'no answer (timeout)', answer: 'timeout', expect: 'retry' },
  { name: 'connection refused', answer: 'refused', expect: 'retry' },
];

/** A sink type's stand-in, as the suite drives it. */
interface Harness {
  /** The sink's config pointing at the stand-in (or, with `port`, at a port where nothing listens). */
  config(options: { id: string; port?: number }): SinkConfig;
  /** Values that must never show in an error message or a log line. */
  secrets: string[];
  /** Makes the stand-in's next answer the service's own answer for `status` (its error body, headers). */
  fail(status: number, retryAfter?: string): void;
  /** Makes the stand-in's next answer never come. */
  hang(): void;
  /** Notifications the service took. */
  taken(): number;
  /** What identifies the notification in each request or message the stand-in got (its id where the protocol carries one). */
  identities(): string[];
  openConnections(): Promise<number>;
  close(): Promise<void>;
}

/** How the suite tests one sink type. */
interface Adapter {
  start(): Promise<Harness>;
  /** Whether the notification id goes over the wire (webhook-id, Message-ID), so it can be compared. */
  carriesNotificationId: boolean;
  /** Whether a 429's Retry-After reaches RateLimitedError.retryAfterMs (HTTP services). */
  honoursRetryAfter: boolean;
}

/** The timeout the suite configures, so "no answer" fails fast. */
const shortTimeoutMs = 400;

/** A harness over a generic stand-in whose `errorAnswer` gives the service's own error answers. */
function standInHarness(
  standIn: StandIn & { errorAnswer(status: number, retryAfter?: string): StandInAnswer },
  parts: Pick<Harness, 'config' | 'secrets' | 'taken'> & {
    identity?: (json: unknown, body: string, headers: IncomingHttpHeaders) => string;
  },
): Harness {
  return {
    ...parts,
    fail: (status, retryAfter) => standIn.answerNext(standIn.errorAnswer(status, retryAfter)),
    hang: () => standIn.answerNext({ hang: true }),
    identities: () =>
      standIn.requests.map((r) => (parts.identity ? parts.identity(r.json, r.body, r.headers) : r.body)),
    openConnections: async () => standIn.openConnections(),
    close: () => standIn.close(),
  };
}

const at = (origin: string, port: number | undefined) =>
  port === undefined ? origin : origin.replace(/127\.0\.0\.1:\d+/, `127.0.0.1:${port}`);

/** One adapter per registered sink type: the compiler refuses a registry entry without one. */
const adapters: { [T in SinkType]: Adapter } = {
  http: {
    carriesNotificationId: true,
    honoursRetryAfter: true,
    async start() {
      const secret = `whsec_${Buffer.from('conformance-secret-of-32-bytes!!').toString('base64')}`;
      const receiver = await startStandIn(() => ({ status: 204 }));
      const errorAnswer = (status: number, retryAfter?: string): StandInAnswer => ({
        status,
        headers: retryAfter === undefined ? {} : { 'retry-after': retryAfter },
        body: { error: 'nope' },
      });
      // The URL's path is as secret as the signing key for some receivers.
      const url = `${receiver.origin}/hooks/ci-PATH-TOKEN-7f3a9b`;
      return standInHarness(Object.assign(receiver, { errorAnswer }), {
        config: ({ id, port }) => ({
          id,
          type: 'http',
          url: at(url, port),
          secret,
          timeoutMs: shortTimeoutMs,
        }),
        secrets: [secret, 'PATH-TOKEN-7f3a9b'],
        taken: () => receiver.requests.filter((r) => r.status >= 200 && r.status < 300).length,
        identity: (_json, _body, headers) => String(headers['webhook-id']),
      });
    },
  },
  email: {
    carriesNotificationId: false,
    honoursRetryAfter: false,
    async start() {
      const auth = { user: 'relay', pass: 'smtp-pa55word-conformance' };
      const smtp = await startSmtpServer({ auth });
      // HTTP-like answers as an SMTP server gives them at DATA.
      const codes: Record<number, number> = {
        400: 550,
        401: 535,
        404: 550,
        413: 552,
        429: 451,
        500: 451,
        503: 421,
      };
      return {
        config: ({ id, port }) => ({
          id,
          type: 'email',
          smtp: { host: '127.0.0.1', port: port ?? smtp.port, secure: false, auth },
          pool: true,
          from: 'ci-relay <ci@example.com>',
          to: ['oncall@example.com'],
          on: ['finished'],
          timeoutMs: 1000,
        }),
        secrets: [auth.pass],
        fail: (status) => smtp.answerWith(inTurn(codes[status] ?? 451)),
        hang: () => smtp.answerWith(always('hang')),
        taken: () => smtp.mails.length,
        identities: () => smtp.dataRaw.map((raw) => /^Message-ID: *(.+)$/im.exec(raw)?.[1]?.trim() ?? ''),
        openConnections: () => smtp.openConnections(),
        close: () => smtp.close(),
      };
    },
  },
  slack: {
    carriesNotificationId: false,
    honoursRetryAfter: true,
    async start() {
      const token = 'xoxb-1111-2222-conformance-token';
      const slack = await startFakeSlack({ token });
      return {
        config: ({ id, port }) => ({
          id,
          type: 'slack',
          token,
          channel: '#ci',
          apiUrl: at(slack.apiUrl, port),
          timeoutMs: shortTimeoutMs,
          perChannelPerSecond: 50,
        }),
        secrets: [token],
        fail: (status, retryAfter) =>
          slack.answerNext(
            'chat.postMessage',
            status === 429 && retryAfter !== undefined
              ? { rateLimited: Number(retryAfter) }
              : status === 401
                ? { error: 'invalid_auth' }
                : { status, body: `upstream answered ${status}` },
          ),
        hang: () => slack.answerNext('chat.postMessage', { delayMs: 3 * shortTimeoutMs }),
        taken: () => slack.topLevel('#ci').length,
        identities: () => slack.calls.map((c) => JSON.stringify(c.args.blocks)),
        openConnections: () => slack.openConnections(),
        close: () => slack.close(),
      };
    },
  },
  teams: {
    carriesNotificationId: false,
    honoursRetryAfter: true,
    async start() {
      const teams = await startFakeTeams();
      return standInHarness(teams, {
        config: ({ id, port }) => ({
          id,
          type: 'teams',
          url: at(teams.url, port),
          timeoutMs: shortTimeoutMs,
        }),
        secrets: [teams.sig],
        taken: () => teams.cards.length,
      });
    },
  },
  discord: {
    carriesNotificationId: false,
    honoursRetryAfter: true,
    async start() {
      const discord = await startFakeDiscord();
      return standInHarness(discord, {
        config: ({ id, port }) => ({
          id,
          type: 'discord',
          url: at(discord.url, port),
          timeoutMs: shortTimeoutMs,
        }),
        secrets: [discord.token],
        taken: () => discord.messages.size,
      });
    },
  },
  mattermost: {
    carriesNotificationId: false,
    honoursRetryAfter: true,
    async start() {
      const mattermost = await startFakeMattermost();
      return standInHarness(mattermost, {
        config: ({ id, port }) => ({
          id,
          type: 'mattermost',
          url: at(mattermost.url, port),
          timeoutMs: shortTimeoutMs,
        }),
        secrets: [mattermost.key],
        taken: () => mattermost.posts.length,
      });
    },
  },
  googlechat: {
    carriesNotificationId: false,
    honoursRetryAfter: true,
    async start() {
      const chat = await startFakeGoogleChat();
      return standInHarness(chat, {
        config: ({ id, port }) => ({
          id,
          type: 'googlechat',
          url: at(chat.url, port),
          timeoutMs: shortTimeoutMs,
        }),
        secrets: [chat.key, chat.token],
        taken: () => chat.messages.length,
      });
    },
  },
  pagerduty: {
    carriesNotificationId: false,
    honoursRetryAfter: true,
    async start() {
      const pagerduty = await startFakePagerDuty();
      return standInHarness(pagerduty, {
        config: ({ id, port }) => ({
          id,
          type: 'pagerduty',
          routingKey: pagerduty.routingKey,
          apiUrl: at(pagerduty.apiUrl, port),
          timeoutMs: shortTimeoutMs,
        }),
        secrets: [pagerduty.routingKey],
        taken: () => pagerduty.events.length,
        identity: (json) => String((json as { dedup_key?: unknown } | undefined)?.dedup_key),
      });
    },
  },
};

/** A log that keeps every line, to look for secrets in. */
function capturingLog() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  return { log: createLogger('debug', stream), lines };
}

function notification(): Notification {
  return {
    id: `msg_conformance_${randomUUID().replace(/-/g, '')}`,
    route: 'conformance',
    event: sampleEvent({ transition: 'broken' }),
  };
}

async function outcomeOf(
  promise: Promise<unknown>,
): Promise<{ outcome: Outcome | 'skipped'; error?: DeliveryError }> {
  try {
    const result = await promise;
    return { outcome: result === 'skipped' ? 'skipped' : 'sent' };
  } catch (error) {
    assert.ok(error instanceof DeliveryError, `a sink throws DeliveryErrors only, got ${String(error)}`);
    return { outcome: error.retryable ? 'retry' : 'permanent', error };
  }
}

describe('sink conformance (every registered sink type, against its service stand-in)', function () {
  this.timeout(30_000);
  let redis: TestRedis;
  let client: Redis;

  before(async () => {
    redis = await startRedis();
    client = new Redis(redis.url, { maxRetriesPerRequest: 1 });
  });
  after(async () => {
    client.disconnect();
    await redis.stop();
  });

  /** Deps as the delivery workers give them: Redis, a key prefix and run snapshots, each test its own. */
  const depsFor = (log: ReturnType<typeof createLogger>) => {
    const prefix = `conformance-${randomUUID()}`;
    return {
      log,
      redis: client,
      keyPrefix: `${prefix}:sink:conformance`,
      runs: createRunStore({ redis: client, prefix }),
    };
  };

  it('has a test adapter for every registered sink type', () => {
    const missing = Object.keys(sinkFactories).filter((type) => !(type in adapters));
    assert.deepEqual(missing, [], `sink types without a conformance adapter: ${missing.join(', ')}`);
  });

  for (const type of Object.keys(sinkFactories) as SinkType[]) {
    const adapter = adapters[type];
    describe(`${type}`, () => {
      const errors: string[] = [];
      const logLines: string[] = [];

      for (const row of rows) {
        it(`${row.name} -> ${row.expect}`, async () => {
          const harness = await adapter.start();
          const { log, lines } = capturingLog();
          try {
            let port: number | undefined;
            if (row.answer === 'refused') port = await freePort();
            else if (row.answer === 'timeout') harness.hang();
            else if (row.answer.status >= 300) harness.fail(row.answer.status, row.answer.retryAfter);
            const sink = createSink(
              harness.config({ id: `conf-${type}`, ...(port !== undefined && { port }) }),
              depsFor(log),
            );
            const before = harness.taken();
            const { outcome, error } = await outcomeOf(sink.deliver(notification(), { attempt: 1 }));
            await sink.close?.();
            if (error) errors.push(error.message);
            assert.equal(outcome, row.expect, error?.message);
            if (row.expect === 'sent') assert.equal(harness.taken(), before + 1);
            else assert.equal(harness.taken(), before, 'a failed delivery left nothing behind');
            if (error)
              assert.ok(
                error.message.startsWith(`${type}[conf-${type}]`),
                `names the sink: ${error.message}`,
              );
            if (typeof row.answer === 'object' && row.answer.status === 429 && adapter.honoursRetryAfter) {
              assert.ok(error instanceof RateLimitedError, `429 is a RateLimitedError: ${String(error)}`);
              if (row.answer.retryAfter !== undefined)
                assert.equal(error.retryAfterMs, Number(row.answer.retryAfter) * 1000);
            }
          } finally {
            logLines.push(...lines);
            await harness.close();
          }
        });
      }

      it('keeps what identifies the notification across a failed attempt and its retry', async () => {
        const harness = await adapter.start();
        const { log, lines } = capturingLog();
        try {
          const sink = createSink(harness.config({ id: `conf-${type}` }), depsFor(log));
          const n = notification();
          harness.fail(500);
          const first = await outcomeOf(sink.deliver(n, { attempt: 1 }));
          assert.equal(first.outcome, 'retry');
          if (first.error) errors.push(first.error.message);
          const second = await outcomeOf(sink.deliver(n, { attempt: 2 }));
          assert.equal(second.outcome, 'sent', second.error?.message);
          await sink.close?.();
          const ids = harness.identities();
          assert.ok(ids.length >= 2, `two attempts seen (${ids.length})`);
          assert.equal(ids[0], ids[ids.length - 1]);
          if (adapter.carriesNotificationId) assert.equal(ids[0], n.id);
          assert.equal(harness.taken(), 1);
        } finally {
          logLines.push(...lines);
          await harness.close();
        }
      });

      it('close() releases its connections', async () => {
        const harness = await adapter.start();
        const { log, lines } = capturingLog();
        try {
          const sink = createSink(harness.config({ id: `conf-${type}` }), depsFor(log));
          assert.equal((await outcomeOf(sink.deliver(notification(), { attempt: 1 }))).outcome, 'sent');
          assert.ok(sink.close, 'a sink that opens connections has close()');
          await sink.close();
          await waitFor(async () => (await harness.openConnections()) === 0, 5_000);
        } finally {
          logLines.push(...lines);
          await harness.close();
        }
      });

      it('send-test sends the sample notification', async () => {
        const harness = await adapter.start();
        const { log, lines } = capturingLog();
        try {
          const sinkConfig = harness.config({ id: `conf-${type}` });
          const config = parseConfig(
            JSON.stringify({
              version: 1,
              sources: [{ id: 'ci', provider: 'generic', insecure: true }],
              sinks: [sinkConfig],
              routes: [],
            }),
            'conformance.json',
          );
          const line = await sendTest(config, sinkConfig.id, log);
          assert.match(
            line,
            new RegExp(`^${type}\\[conf-${type}\\]: sample notification msg_test_\\w+ sent$`),
          );
          assert.equal(harness.taken(), 1);
        } finally {
          logLines.push(...lines);
          await harness.close();
        }
      });

      it('puts no secret (token, key, webhook URL path) in any error message or log line', async () => {
        assert.ok(errors.length >= 8, `the table produced errors to look at (${errors.length})`);
        const harness = await adapter.start();
        const secrets = harness.secrets;
        await harness.close();
        for (const secret of secrets) {
          for (const message of errors) assert.ok(!message.includes(secret), `a secret in: ${message}`);
          for (const line of logLines) assert.ok(!line.includes(secret), `a secret in the log: ${line}`);
        }
      });
    });
  }
});

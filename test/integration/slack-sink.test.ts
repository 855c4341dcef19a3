import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import pino from 'pino';
import request from 'supertest';
import { createRunStore } from '../../src/pipeline/create-run-store';
import { deliveryQueueName } from '../../src/pipeline/queue-names';
import { RateLimitedError } from '../../src/contracts/delivery-errors';
import { createSlackSink } from '../../sinks/slack';
import { createRunMessageStore } from '../../sinks/slack/run-message-store';
import { githubSignature } from '../helpers/sign';
import { finishedDeliveries } from '../helpers/finished-deliveries';
import { recordKeys } from '../../src/store/record-keys';
import type { Delivery } from '../../src/store/delivery-record';
import { sampleEvent } from '../helpers/sample-event';
import {
  startFakeSlack,
  type FakeSlack,
  type FakeSlackMessage,
  type SlackCall,
} from '../helpers/start-fake-slack';
import { startRedis, type TestRedis } from '../helpers/start-redis';
import { startTestRelay, waitFor, type TestRelay } from '../helpers/start-test-relay';

const githubSecret = 'slack-integration-github-secret';
const slackToken = 'xoxb-1111-2222-integration-token';
const runUrl = 'https://github.com/acme/widgets/actions/runs/11223399001';
const jobUrl = `${runUrl}/job/30871256640`;

const fixture = (name: string) => readFileSync(join(__dirname, '../fixtures/github', name), 'utf8');

/** A GitHub fixture with some fields changed (`edit` gets the parsed payload). */
function fixtureWith(name: string, edit: (payload: Record<string, Record<string, unknown>>) => void): string {
  const payload = JSON.parse(fixture(name)) as Record<string, Record<string, unknown>>;
  edit(payload);
  return JSON.stringify(payload);
}

/** The `lint` job of the same run, failed. */
const lintFailed = () =>
  fixtureWith('workflow_job.completed.failure.json', (p) => {
    p.workflow_job = {
      ...p.workflow_job,
      id: 30871256999,
      name: 'lint',
      html_url: `${runUrl}/job/30871256999`,
    };
  });

/** Another job (`name`, `id`) of the same run, from one of the `test` job's fixtures. */
const otherJob = (fixtureName: string, id: number, name: string) =>
  fixtureWith(fixtureName, (p) => {
    p.workflow_job = { ...p.workflow_job, id, name, html_url: `${runUrl}/job/${id}` };
  });

/**
 * Most tests pace the channel at 50 calls a second, so that they run fast; the pacing tests pass
 * `perChannel: ''` to get the default of one a second.
 */
function configYaml(
  apiUrl: string,
  options: { rateLimit?: string; perChannel?: string; routes?: string } = {},
): string {
  return `
version: 1
sources:
  - id: github
    provider: github
    secrets: ["\${GITHUB_SECRET}"]
sinks:
  - id: team-slack
    type: slack
    token: "\${SLACK_TOKEN}"
    channel: "#ci"
    apiUrl: "${apiUrl}"
    retry: { attempts: 4, initialDelayMs: 50, maxDelayMs: 200 }
${options.rateLimit ?? '    rateLimit: { max: 50, perMs: 1000 }'}
${options.perChannel ?? '    perChannelPerSecond: 50'}
    mentions:
      mona@acme.example: U0MONA
      mona-dev: U0MONA
routes:
${
  options.routes ??
  `  - name: everything
    sinks: [team-slack]`
}
`;
}

function postGithub(relay: TestRelay, event: string, body: string) {
  return request(relay.url)
    .post('/hooks/github')
    .set('content-type', 'application/json')
    .set('x-github-event', event)
    .set('x-github-delivery', randomUUID())
    .set('x-hub-signature-256', githubSignature(githubSecret, body))
    .send(body);
}

/** Calls to one channel (posts name it as configured, updates by id), in the order they arrived. */
function callsTo(slack: FakeSlack, channel: string): SlackCall[] {
  return slack.calls.filter((c) => slack.channelId(String(c.args.channel)) === slack.channelId(channel));
}

/**
 * Calls paced a second apart arrive at least this far apart: turns are taken on Redis's clock a second
 * apart, and the first call of a burst (a cold connection, a busy process) arrives some 30-60 ms after its turn.
 */
const pacedGapMs = 850;

/** Milliseconds between consecutive calls. */
const gaps = (calls: readonly SlackCall[]) => calls.slice(1).map((c, i) => c.at - (calls[i]?.at ?? 0));

/** Every text of a message: `text`, its blocks and its attachments' blocks. */
function allText(message: FakeSlackMessage | undefined): string {
  return JSON.stringify([message?.text, message?.blocks, message?.attachments]);
}

describe('slack sink (relay in-process, fake Slack Web API, real Redis)', function () {
  this.timeout(60_000);
  let redis: TestRedis;
  let slack: FakeSlack;
  let relay: TestRelay;
  let relays: TestRelay[];

  const start = async (yaml: string, prefix?: string) => {
    const started = await startTestRelay({
      configYaml: yaml,
      redisUrl: redis.url,
      env: { GITHUB_SECRET: githubSecret, SLACK_TOKEN: slackToken },
      ...(prefix !== undefined && { prefix }),
    });
    relays.push(started);
    return started;
  };

  const queue = () =>
    new Queue(deliveryQueueName('team-slack'), { connection: { url: redis.url }, prefix: relay.prefix });

  /** Waits until `n` deliveries have finished (completed or dead) and nothing is pending. */
  const settled = async (n: number) => {
    const q = queue();
    const client = new Redis(redis.url);
    try {
      await waitFor(async () => {
        const c = await q.getJobCounts('wait', 'active', 'delayed', 'prioritized');
        const pending = (c.wait ?? 0) + (c.active ?? 0) + (c.delayed ?? 0) + (c.prioritized ?? 0);
        return pending === 0 && (await finishedDeliveries(client, relay.prefix, 'team-slack')) >= n;
      }, 20_000);
    } finally {
      client.disconnect();
      await q.close();
    }
  };

  /** Posts one webhook and waits until its delivery is done (the n-th of the test). */
  let sent = 0;
  const deliver = async (event: string, body: string) => {
    const res = await postGithub(relay, event, body);
    assert.equal(res.status, 202, JSON.stringify(res.body));
    sent += 1;
    await settled(sent);
  };

  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    await redis.stop();
  });
  beforeEach(async () => {
    relays = [];
    sent = 0;
    slack = await startFakeSlack({ token: slackToken });
    relay = await start(configYaml(slack.apiUrl));
  });
  afterEach(async () => {
    for (const r of relays) await r.close();
    await slack.close();
    for (const r of relays)
      for (const line of r.logLines) assert.ok(!line.includes(slackToken), `the token was logged: ${line}`);
  });

  it('posts one message per run, updates it in place, replies failed jobs in its thread and broadcasts the failure', async () => {
    await deliver('workflow_run', fixture('workflow_run.requested.json'));
    await deliver('workflow_run', fixture('workflow_run.in_progress.json'));
    await deliver('workflow_job', fixture('workflow_job.in_progress.json'));
    await deliver('workflow_job', fixture('workflow_job.completed.failure.json'));
    await deliver('workflow_run', fixture('workflow_run.completed.failure.json'));

    const posts = slack.callsOf('chat.postMessage', false);
    assert.equal(posts.length, 1, 'one top-level post');
    assert.equal(posts[0]?.token, slackToken);
    const [main] = slack.topLevel('#ci');
    assert.ok(main);
    const updates = slack.callsOf('chat.update');
    assert.equal(updates.length, 4);
    for (const u of updates) {
      assert.equal(u.args.ts, main.ts);
      assert.equal(u.args.channel, slack.channelId('#ci'), 'chat.update gets the channel id');
      assert.equal(u.status, 200);
      assert.deepEqual(u.answer, { ok: true, channel: main.channel, ts: main.ts, text: u.args.text });
    }
    assert.equal(main.updates, 4);
    assert.match(allText(main), /:x:/);
    assert.match(allText(main), /\|CI #419>/);
    assert.match(allText(main), /\*failed\*/);
    assert.match(allText(main), /#E01E5A/);
    assert.match(allText(main), /test \(node 20\)/);

    const replies = slack.replies('#ci', main.ts);
    assert.equal(replies.length, 2);
    const [jobReply, broadcast] = replies;
    assert.ok(jobReply && broadcast);
    assert.match(jobReply.text ?? '', new RegExp(`<${jobUrl}\\|test \\(node 20\\)>`));
    assert.match(jobReply.text ?? '', /failed\* after 4m 1s/);
    assert.match(jobReply.text ?? '', /<@U0MONA>/);
    assert.equal(jobReply.replyBroadcast, false);
    assert.equal(broadcast.replyBroadcast, true, 'the red run is broadcast to the channel');
    assert.match(broadcast.text ?? '', /failed/);
    assert.doesNotMatch(broadcast.text ?? '', /<@U0MONA>/, 'mentioned once, in the first reply');
    assert.doesNotMatch(allText(main), /<@U0MONA>/, 'the edited message carries no mention');
  });

  it('updates the same message for a re-run attempt, hiding the failed jobs of the older attempt', async () => {
    await deliver('workflow_job', fixture('workflow_job.completed.failure.json'));
    await deliver('workflow_run', fixture('workflow_run.completed.failure.json'));
    await deliver('workflow_run', fixture('workflow_run.rerun-attempt-2.json'));
    assert.equal(slack.callsOf('chat.postMessage', false).length, 1);
    const [main] = slack.topLevel('#ci');
    assert.ok(main);
    const text = allText(main);
    assert.match(text, /:white_check_mark:/);
    assert.match(text, /\(attempt 2\)/);
    assert.match(text, /#2EB67D/);
    assert.doesNotMatch(text, /test \(node 20\)/, 'attempt 1 jobs are hidden');
  });

  it('a partial re-run (GitHub "re-run failed jobs"): the final message lists every job as it ended, and the thread gets a short "fixed" reply', async () => {
    /** A job of attempt `attempt` of run 11223399001. */
    const job = (fixtureName: string, id: number, name: string, attempt: number) =>
      fixtureWith(fixtureName, (p) => {
        p.workflow_job = {
          ...p.workflow_job,
          id,
          name,
          run_attempt: attempt,
          html_url: `${runUrl}/job/${id}`,
        };
      });
    await deliver('workflow_run', fixture('workflow_run.in_progress.json'));
    await deliver('workflow_job', job('workflow_job.completed.success.json', 501, 'build', 1));
    await deliver('workflow_job', job('workflow_job.completed.success.json', 502, 'lint', 1));
    await deliver('workflow_job', job('workflow_job.completed.failure.json', 503, 'test', 1));
    await deliver('workflow_run', fixture('workflow_run.completed.failure.json'));
    // Attempt 2 re-runs only `test`, which passes.
    await deliver('workflow_job', job('workflow_job.completed.success.json', 601, 'test', 2));
    await deliver('workflow_run', fixture('workflow_run.rerun-attempt-2.json'));

    assert.equal(slack.callsOf('chat.postMessage', false).length, 1, 'one top-level post');
    const [main] = slack.topLevel('#ci');
    assert.ok(main);
    const text = allText(main);
    assert.match(text, /#2EB67D/, 'green');
    assert.match(text, /:white_check_mark: 3 passed/, 'the jobs that passed on attempt 1 are still listed');
    assert.match(
      text,
      /passed on attempt 2 after failing: flaky\?/,
      'a re-run of the same commit that passed',
    );
    assert.doesNotMatch(text, /failed/);

    const replies = slack.replies('#ci', main.ts);
    assert.deepEqual(
      replies.map((r) => [r.replyBroadcast, /Fixed:/.test(r.text ?? ''), /failed/.test(r.text ?? '')]),
      [
        [false, false, true], // test failed
        [true, false, true], // the run failed: broadcast
        [false, true, false], // fixed
      ],
    );
    // Mentions ping on posting (edits notify nobody): the person is mentioned once for the failure.
    const posted = slack.callsOf('chat.postMessage').map((c) => JSON.stringify(c.args));
    assert.equal(posted.filter((p) => p.includes('<@U0MONA>')).length, 1, 'one post mentions');
  });

  it('a message posted already red is the alert: it mentions once, with no broadcast; job replies do not mention again', async () => {
    await deliver('workflow_run', fixture('workflow_run.completed.failure.json'));
    await deliver('workflow_job', fixture('workflow_job.completed.failure.json'));
    await deliver('workflow_job', lintFailed());
    const [main] = slack.topLevel('#ci');
    assert.ok(main);
    assert.match(allText(main), /<@U0MONA>/);
    const replies = slack.replies('#ci', main.ts);
    assert.equal(replies.length, 2);
    assert.ok(replies.every((r) => !r.replyBroadcast && !(r.text ?? '').includes('<@U0MONA>')));
  });

  it('replies each failed job once in the thread, with its name, link and duration', async () => {
    await deliver('workflow_run', fixture('workflow_run.in_progress.json'));
    await deliver('workflow_job', fixture('workflow_job.completed.failure.json'));
    await deliver('workflow_job', lintFailed());
    const [main] = slack.topLevel('#ci');
    assert.ok(main);
    const replies = slack.replies('#ci', main.ts);
    assert.deepEqual(
      replies.map((r) => /\|([^>]+)>/.exec(r.text ?? '')?.[1]),
      ['test (node 20)', 'lint'],
    );
    assert.match(replies[1]?.text ?? '', new RegExp(`<${runUrl}/job/30871256999\\|lint>`));
    assert.match(allText(main), /Failed:\*.*lint.*test \(node 20\)/);
    assert.match(allText(main), /:x: 2 failed/);
  });

  it('keeps the message ts in Redis: a restarted worker updates the message it did not post', async () => {
    await deliver('workflow_run', fixture('workflow_run.in_progress.json'));
    const [main] = slack.topLevel('#ci');
    assert.ok(main);
    const prefix = relay.prefix;
    await relay.close();
    relays = [];
    relay = await start(configYaml(slack.apiUrl), prefix);
    await deliver('workflow_run', fixture('workflow_run.completed.failure.json'));
    assert.equal(slack.callsOf('chat.postMessage', false).length, 1);
    const [update] = slack.callsOf('chat.update');
    assert.equal(update?.args.ts, main.ts);
    assert.equal(main.updates, 1);
    assert.match(allText(main), /\*failed\*/);
  });

  it('honours ratelimited + Retry-After: the sink pauses, then posts, without using up an attempt', async () => {
    slack.answerNext('chat.postMessage', { rateLimited: 1 });
    await deliver('workflow_run', fixture('workflow_run.in_progress.json'));
    const posts = slack.callsOf('chat.postMessage');
    assert.equal(posts.length, 2);
    assert.equal(posts[0]?.status, 429);
    assert.equal(posts[1]?.status, 200);
    const waited = (posts[1]?.at ?? 0) - (posts[0]?.at ?? 0);
    assert.ok(waited >= 950, `retried after ${waited} ms, not after Retry-After`);
    assert.equal(slack.topLevel('#ci').length, 1);
    assert.ok(relay.logLines.some((l) => l.includes('rate limited; pausing the sink')));
    assert.ok(!relay.logLines.some((l) => l.includes('attempt failed, will retry')));
    const client = new Redis(redis.url);
    try {
      const keys = recordKeys(relay.prefix);
      const [id] = await client.zrange(keys.deliveriesBy('sink', 'team-slack'), 0, 0);
      const delivery = JSON.parse((await client.get(keys.delivery(id ?? ''))) ?? '{}') as Delivery;
      assert.equal(delivery.state, 'sent');
      assert.deepEqual(
        delivery.attempts.map((a) => [a.outcome, a.attempt]),
        [
          ['rate_limited', 1],
          ['sent', 1],
        ],
        'the rate-limited try did not count as an attempt',
      );
    } finally {
      client.disconnect();
    }
  });

  it('retries a 500 and posts once', async () => {
    slack.answerNext('chat.postMessage', { status: 500 });
    await deliver('workflow_run', fixture('workflow_run.in_progress.json'));
    const posts = slack.callsOf('chat.postMessage');
    assert.deepEqual(
      posts.map((p) => p.status),
      [500, 200],
    );
    assert.equal(slack.topLevel('#ci').length, 1);
  });

  it('dead-letters channel_not_found at once, naming the sink and the channel', async () => {
    slack.answerNext('chat.postMessage', { error: 'channel_not_found' });
    await deliver('workflow_run', fixture('workflow_run.completed.failure.json'));
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(slack.calls.length, 1, 'no retry');
    const q = queue();
    try {
      const [failed] = await q.getFailed();
      assert.match(
        failed?.failedReason ?? '',
        /^slack\[team-slack\]: chat\.postMessage to #ci: channel_not_found/,
      );
    } finally {
      await q.close();
    }
    assert.ok(relay.logLines.some((l) => l.includes('dead-lettered') && l.includes('channel_not_found')));
  });

  it('posts a new message when the old one was deleted, and updates that one from then on', async () => {
    await deliver('workflow_run', fixture('workflow_run.requested.json'));
    const [first] = slack.topLevel('#ci');
    assert.ok(first);
    slack.messages.delete(`${first.channel}/${first.ts}`);
    await deliver('workflow_run', fixture('workflow_run.in_progress.json'));
    await deliver('workflow_run', fixture('workflow_run.completed.failure.json'));
    const [second] = slack.topLevel('#ci');
    assert.ok(second && second.ts !== first.ts);
    assert.deepEqual(
      slack.callsOf('chat.update').map((c) => [c.args.ts, (c.answer as { ok: boolean }).ok]),
      [
        [first.ts, false],
        [second.ts, true],
      ],
    );
  });

  it('collapses a burst of 8 events for one run: calls to the channel a second apart, the last within 3 s (default pacing)', async () => {
    await relay.close();
    relays = [];
    relay = await start(configYaml(slack.apiUrl, { rateLimit: '', perChannel: '' }));
    const bodies: Array<[string, string]> = [
      ['workflow_run', fixture('workflow_run.requested.json')],
      ['workflow_run', fixture('workflow_run.in_progress.json')],
      ['workflow_job', fixture('workflow_job.queued.json')],
      ['workflow_job', fixture('workflow_job.in_progress.json')],
      ['workflow_job', otherJob('workflow_job.in_progress.json', 30871256999, 'lint')],
      ['workflow_job', fixture('workflow_job.completed.success.json')],
      ['workflow_job', otherJob('workflow_job.completed.success.json', 30871256999, 'lint')],
      ['workflow_run', fixture('workflow_run.completed.success.json').replace(/11223344556/g, '11223399001')],
    ];
    for (const [event, body] of bodies) assert.equal((await postGithub(relay, event, body)).status, 202);
    const burstEnd = Date.now();
    await settled(bodies.length);

    const calls = callsTo(slack, '#ci');
    assert.deepEqual(calls.map((c) => [c.method, c.status]).slice(0, 2), [
      ['chat.postMessage', 200],
      ['chat.update', 200],
    ]);
    assert.ok(calls.length <= 3, `${calls.length} calls for ${bodies.length} events`);
    assert.ok(
      gaps(calls).every((gap) => gap >= pacedGapMs),
      `calls to #ci ${gaps(calls).join(', ')} ms apart: at most one a second`,
    );
    const last = calls[calls.length - 1]?.at ?? 0;
    assert.ok(last - burstEnd < 3_000, `the last call came ${last - burstEnd} ms after the burst`);
    const [main] = slack.topLevel('#ci');
    assert.match(allText(main), /:white_check_mark:/);
    assert.match(allText(main), /\*passed\*/);
    const metrics = await request(relay.url).get('/metrics');
    const skipped =
      /ci_relay_delivery_attempts_total\{sink="team-slack",outcome="skipped",reason=""\} (\d+)/.exec(
        metrics.text,
      );
    assert.equal(Number(skipped?.[1]), bodies.length - calls.length, 'every other delivery was skipped');
  });

  it('paces each channel on its own: a route to another channel does not wait for the first (default pacing)', async () => {
    await relay.close();
    relays = [];
    relay = await start(
      configYaml(slack.apiUrl, {
        rateLimit: '',
        perChannel: '',
        routes: `  - name: alerts
    sinks: [team-slack]
    continue: true
    options:
      team-slack: { channel: "#alerts" }
  - name: everything
    sinks: [team-slack]`,
      }),
    );
    // Each channel gets its message (posted, then updated) and two failed-job replies, a second apart.
    const bodies: Array<[string, string]> = [
      ['workflow_run', fixture('workflow_run.in_progress.json')],
      ['workflow_job', fixture('workflow_job.in_progress.json')],
      ['workflow_job', fixture('workflow_job.completed.failure.json')],
      ['workflow_job', lintFailed()],
    ];
    for (const [event, body] of bodies) assert.equal((await postGithub(relay, event, body)).status, 202);
    await settled(2 * bodies.length);

    const ci = callsTo(slack, '#ci');
    const alerts = callsTo(slack, '#alerts');
    for (const [channel, calls] of [
      ['#ci', ci],
      ['#alerts', alerts],
    ] as const) {
      assert.equal(slack.topLevel(channel).length, 1, channel);
      assert.equal(calls[0]?.method, 'chat.postMessage', channel);
      assert.equal(calls.filter((c) => c.args.thread_ts !== undefined).length, 2, `${channel}: two replies`);
      assert.ok(
        gaps(calls).every((gap) => gap >= pacedGapMs),
        `calls to ${channel} ${gaps(calls).join(', ')} ms apart`,
      );
    }
    // One sink-wide message a second would put the second channel's first post a second after the first's.
    const apart = Math.abs((ci[0]?.at ?? 0) - (alerts[0]?.at ?? 0));
    assert.ok(apart < 500, `the first posts to #ci and #alerts came ${apart} ms apart`);
  });

  it('sends a route to its own channel (route option), with its own message per channel', async () => {
    await relay.close();
    relays = [];
    relay = await start(
      configYaml(slack.apiUrl, {
        routes: `  - name: failures
    match: { status: [failure, error] }
    sinks: [team-slack]
    continue: true
    options:
      team-slack: { channel: "#alerts", templates: { headline: "RED {{repository}} {{pipelineLabel}}" } }
  - name: everything
    sinks: [team-slack]`,
      }),
    );
    await deliver('workflow_run', fixture('workflow_run.in_progress.json'));
    const res = await postGithub(relay, 'workflow_run', fixture('workflow_run.completed.failure.json'));
    assert.equal(res.status, 202);
    await settled(3);
    assert.equal(slack.topLevel('#ci').length, 1);
    const [alert] = slack.topLevel('#alerts');
    assert.match(JSON.stringify(alert?.blocks), /RED acme\/widgets CI #419/);
    assert.equal(slack.callsOf('chat.update').length, 1, 'only #ci had a message to update');
  });
});

describe('slack sink: several workers on one run (real Redis, fake Slack)', function () {
  this.timeout(30_000);
  let redis: TestRedis;
  let slack: FakeSlack;
  let client: Redis;

  before(async () => {
    redis = await startRedis();
    client = new Redis(redis.url);
    slack = await startFakeSlack({ token: slackToken });
  });
  after(async () => {
    client.disconnect();
    await slack.close();
    await redis.stop();
  });

  it('posts the first message once when workers deliver events of one run at the same time', async () => {
    const prefix = `test-${randomUUID()}`;
    const runs = createRunStore({ redis: client, prefix });
    const config = {
      id: 'team-slack',
      type: 'slack' as const,
      token: slackToken,
      channel: '#race',
      apiUrl: slack.apiUrl,
    };
    const workers = [1, 2, 3].map(() =>
      createSlackSink(config, {
        log: pino({ level: 'silent' }),
        redis: client,
        keyPrefix: `${prefix}:sink:team-slack`,
        runs,
      }),
    );
    const events = (['queued', 'running', 'failure'] as const).map((status, i) =>
      sampleEvent({
        id: `01J00000000000000000000${i}`,
        status,
        pipeline: { id: 'race-1', name: 'CI', number: 7 },
      }),
    );
    const notifications = [];
    for (const [i, event] of events.entries()) {
      notifications.push({ id: `msg_${i}`, route: 'r', event, runVersion: await runs.record(event) });
    }
    const results = await Promise.all(
      notifications.map((n, i) => workers[i % workers.length]?.deliver(n, { attempt: 1 })),
    );
    assert.equal(slack.topLevel('#race').length, 1);
    const [main] = slack.topLevel('#race');
    assert.match(allText(main), /\*failed\*/, 'the message ends on the newest state');
    assert.ok(results.filter((r) => r === 'skipped').length >= 1, 'later deliveries found nothing new');
  });

  /** A sink on its own key prefix, delivering notifications of events it records itself. */
  const pacedSink = (channel: string, options: { perChannelPerSecond?: number; redis?: boolean } = {}) => {
    const prefix = `test-${randomUUID()}`;
    const runs = createRunStore({ redis: client, prefix });
    const sink = createSlackSink(
      {
        id: 'team-slack',
        type: 'slack',
        token: slackToken,
        channel,
        apiUrl: slack.apiUrl,
        ...(options.perChannelPerSecond !== undefined && {
          perChannelPerSecond: options.perChannelPerSecond,
        }),
      },
      {
        log: pino({ level: 'silent' }),
        ...(options.redis !== false && { redis: client, keyPrefix: `${prefix}:sink:team-slack`, runs }),
      },
    );
    let n = 0;
    const notify = async (overrides: Parameters<typeof sampleEvent>[0]) => {
      const event = sampleEvent({
        id: `01J0000000000000000000000${n}`,
        pipeline: { id: `pace-${prefix}`, name: 'CI', number: 8 },
        ...overrides,
      });
      n += 1;
      return { id: `msg_${n}`, route: 'r', event, runVersion: await runs.record(event) };
    };
    /** Delivers, resolving to the outcome and how long it took. */
    const timed = async (notification: Awaited<ReturnType<typeof notify>>) => {
      const started = Date.now();
      const outcome = await sink.deliver(notification, { attempt: 1 });
      return { outcome, ms: Date.now() - started };
    };
    return { sink, notify, timed };
  };

  it('gives a turn in the channel to calls only: skipped deliveries and replies not sent take none; sent replies do', async () => {
    const channel = `#pace-${randomUUID().slice(0, 8)}`;
    const { notify, timed } = pacedSink(channel);
    const running = await notify({ status: 'running' });
    assert.equal((await timed(running)).outcome, undefined);
    for (let i = 0; i < 3; i++) {
      const again = await timed(running);
      assert.equal(again.outcome, 'skipped');
      assert.ok(again.ms < 300, `a skipped delivery waited ${again.ms} ms`);
    }
    const jobFailed = await notify({
      kind: 'job',
      status: 'failure',
      job: { id: 'j1', name: 'test', url: 'https://ci.example/j1' },
    });
    assert.equal((await timed(jobFailed)).outcome, undefined);
    const again = await timed(jobFailed);
    assert.equal(again.outcome, 'skipped', 'the reply was sent already');
    assert.ok(again.ms < 300, `a delivery whose reply was sent already waited ${again.ms} ms`);

    const calls = callsTo(slack, channel);
    assert.deepEqual(
      calls.map((c) => [c.method, c.args.thread_ts === undefined ? 'top' : 'thread']),
      [
        ['chat.postMessage', 'top'],
        ['chat.update', 'top'],
        ['chat.postMessage', 'thread'],
      ],
    );
    const [postToUpdate, updateToReply] = gaps(calls);
    // Had the three skipped deliveries taken turns, the update's turn would have been 4 s after the post.
    assert.ok(
      postToUpdate !== undefined && postToUpdate >= pacedGapMs && postToUpdate < 1_600,
      `update ${postToUpdate} ms after the post`,
    );
    assert.ok(
      updateToReply !== undefined && updateToReply >= pacedGapMs,
      `reply ${updateToReply} ms after the update`,
    );
  });

  it('requeues a delivery whose turn is more than 2 s away (RateLimitedError), without calling or taking the turn', async () => {
    const channel = `#slow-${randomUUID().slice(0, 8)}`;
    const { sink, notify } = pacedSink(channel, { perChannelPerSecond: 0.25 });
    await sink.deliver(await notify({ status: 'running' }), { attempt: 1 });
    const failed = await notify({ status: 'failure' });
    await assert.rejects(sink.deliver(failed, { attempt: 1 }), (error: unknown) => {
      assert.ok(error instanceof RateLimitedError, String(error));
      assert.equal(error.requeue, true);
      assert.equal(error.reason, 'rateLimited');
      assert.ok(
        error.retryAfterMs !== undefined && error.retryAfterMs > 2_000 && error.retryAfterMs <= 4_000,
        `retry after ${error.retryAfterMs} ms`,
      );
      assert.match(error.message, /^slack\[team-slack\]: chat\.update to C\w+: /);
      return true;
    });
    assert.equal(callsTo(slack, channel).length, 1, 'only the first post');
  });

  it('does not pace without Redis (send-test)', async () => {
    const channel = `#send-test-${randomUUID().slice(0, 8)}`;
    const { notify, timed } = pacedSink(channel, { redis: false });
    const started = Date.now();
    for (let i = 0; i < 3; i++) await timed(await notify({ status: 'failure' }));
    assert.equal(slack.topLevel(channel).length, 3);
    assert.ok(Date.now() - started < 1_000);
  });

  it('locks a (run, channel) for one holder at a time; a release never frees a lock someone else took since', async () => {
    const store = createRunMessageStore({
      redis: client,
      keyPrefix: `test-${randomUUID()}`,
      lockWaitMs: 100,
      lockTtlMs: 300,
    });
    const key = store.keyOf(sampleEvent(), '#ci');
    const first = await store.lock(key);
    assert.ok(first);
    assert.equal(await store.lock(key), undefined, 'held: the second waits 100 ms, then gives up');
    await new Promise((r) => setTimeout(r, 350));
    const second = await store.lock(key);
    assert.ok(second, 'an expired lock can be taken');
    await first();
    assert.equal(await store.lock(key), undefined, "the first holder's late release left the second's lock");
    await second();
    const third = await store.lock(key);
    assert.ok(third);
    await third();
  });
});

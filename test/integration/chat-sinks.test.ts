import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { finishedDeliveries } from '../helpers/finished-deliveries';
import request from 'supertest';
import { deliveryQueueName } from '../../src/pipeline/queue-names';
import { githubSignature } from '../helpers/sign';
import { startRedis, type TestRedis } from '../helpers/start-redis';
import { startTestRelay, waitFor, type TestRelay } from '../helpers/start-test-relay';
import { startFakeDiscord, type FakeDiscord } from '../helpers/stand-ins/fake-discord';
import { startFakeGoogleChat, type FakeGoogleChat } from '../helpers/stand-ins/fake-google-chat';
import { startFakeMattermost, type FakeMattermost } from '../helpers/stand-ins/fake-mattermost';
import { startFakePagerDuty, type FakePagerDuty } from '../helpers/stand-ins/fake-pagerduty';
import { startFakeTeams, type FakeTeams } from '../helpers/stand-ins/fake-teams';
import { field } from '../helpers/stand-ins/start-stand-in';

const githubSecret = 'chat-sinks-github-secret';
const runUrl = 'https://github.com/acme/widgets/actions/runs/11223399001';
const jobUrl = `${runUrl}/job/30871256640`;

const fixture = (name: string) => readFileSync(join(__dirname, '../fixtures/github', name), 'utf8');

/** A GitHub fixture with some fields of `workflow_run` changed. */
function runWith(name: string, changes: Record<string, unknown>): string {
  const payload = JSON.parse(fixture(name)) as { workflow_run: Record<string, unknown> };
  payload.workflow_run = { ...payload.workflow_run, ...changes };
  return JSON.stringify(payload);
}

interface StandIns {
  teams: FakeTeams;
  discord: FakeDiscord;
  mattermost: FakeMattermost;
  chat: FakeGoogleChat;
  pagerduty: FakePagerDuty;
}

const allSinks = ['teams', 'discord', 'mattermost', 'gchat', 'pd'] as const;
type SinkId = (typeof allSinks)[number];

function configYaml(s: StandIns, sinks: readonly SinkId[], discordAttempts = 3): string {
  const retry = '    retry: { attempts: 3, initialDelayMs: 50, maxDelayMs: 200 }';
  const blocks: Record<SinkId, string> = {
    teams: `  - id: teams\n    type: teams\n    url: "${s.teams.url}"\n${retry}`,
    discord: `  - id: discord\n    type: discord\n    url: "\${DISCORD_WEBHOOK_URL}"\n    username: CI\n    retry: { attempts: ${discordAttempts}, initialDelayMs: 50, maxDelayMs: 200 }`,
    mattermost: `  - id: mattermost\n    type: mattermost\n    url: "${s.mattermost.url}"\n    channel: ci\n${retry}`,
    gchat: `  - id: gchat\n    type: googlechat\n    url: "${s.chat.url}"\n${retry}`,
    pd: `  - id: pd\n    type: pagerduty\n    routingKey: "\${PD_ROUTING_KEY}"\n    severity: critical\n    apiUrl: "${s.pagerduty.apiUrl}"\n${retry}`,
  };
  return `
version: 1
sources:
  - id: github
    provider: github
    secrets: ["\${GITHUB_SECRET}"]
sinks:
${sinks.map((id) => blocks[id]).join('\n')}
routes:
  - name: everything
    sinks: [${sinks.join(', ')}]
`;
}

describe('teams, discord, mattermost, googlechat and pagerduty sinks (relay in-process, stand-ins, real Redis)', function () {
  this.timeout(60_000);
  let redis: TestRedis;
  let s: StandIns;
  let relays: TestRelay[];
  let relay: TestRelay;
  let sent: number;
  let sinks: readonly SinkId[];

  const start = async (
    ids: readonly SinkId[],
    options: { prefix?: string; discordAttempts?: number } = {},
  ) => {
    sinks = ids;
    const started = await startTestRelay({
      configYaml: configYaml(s, ids, options.discordAttempts),
      redisUrl: redis.url,
      env: {
        GITHUB_SECRET: githubSecret,
        DISCORD_WEBHOOK_URL: s.discord.url,
        PD_ROUTING_KEY: s.pagerduty.routingKey,
      },
      ...(options.prefix !== undefined && { prefix: options.prefix }),
    });
    relays.push(started);
    relay = started;
    return started;
  };

  /** Waits until every sink finished `n` deliveries (sent, skipped or dead) and has nothing pending. */
  const settled = async (n: number) => {
    const queues = sinks.map(
      (id) => new Queue(deliveryQueueName(id), { connection: { url: redis.url }, prefix: relay.prefix }),
    );
    const client = new Redis(redis.url);
    try {
      await waitFor(async () => {
        for (const [i, q] of queues.entries()) {
          const c = await q.getJobCounts('wait', 'active', 'delayed', 'prioritized');
          const pending = (c.wait ?? 0) + (c.active ?? 0) + (c.delayed ?? 0) + (c.prioritized ?? 0);
          if (pending > 0 || (await finishedDeliveries(client, relay.prefix, sinks[i] as string)) < n)
            return false;
        }
        return true;
      }, 20_000);
    } finally {
      client.disconnect();
      await Promise.all(queues.map((q) => q.close()));
    }
  };

  const deliver = async (event: string, body: string) => {
    const res = await request(relay.url)
      .post('/hooks/github')
      .set('content-type', 'application/json')
      .set('x-github-event', event)
      .set('x-github-delivery', randomUUID())
      .set('x-hub-signature-256', githubSignature(githubSecret, body))
      .send(body);
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
    s = {
      teams: await startFakeTeams(),
      discord: await startFakeDiscord(),
      mattermost: await startFakeMattermost(),
      chat: await startFakeGoogleChat(),
      pagerduty: await startFakePagerDuty(),
    };
  });
  afterEach(async () => {
    for (const r of relays) await r.close();
    await Promise.all(Object.values(s).map((standIn) => standIn.close()));
    const secrets = [
      s.teams.sig,
      s.discord.token,
      s.mattermost.key,
      s.chat.key,
      s.chat.token,
      s.pagerduty.routingKey,
    ];
    for (const r of relays)
      for (const line of r.logLines)
        for (const secret of secrets) assert.ok(!line.includes(secret), `a secret was logged: ${line}`);
  });

  it('brings one failed run to every sink with the same facts: status, repository, branch, run, commit, failed jobs, links', async () => {
    await start(allSinks);
    await deliver('workflow_run', fixture('workflow_run.in_progress.json'));
    await deliver('workflow_job', fixture('workflow_job.completed.failure.json'));
    await deliver('workflow_run', fixture('workflow_run.completed.failure.json'));

    // Teams: one Adaptive Card per notification.
    assert.equal(s.teams.cards.length, 3);
    const card = s.teams.cards[2];
    const facts = field(card, 'body', 1, 'facts') as Array<{ title: string; value: string }>;
    const fact = (title: string) => facts.find((f) => f.title === title)?.value;
    assert.equal(fact('Status'), 'failed (broken)');
    assert.equal(fact('Repository'), 'acme/widgets');
    assert.equal(fact('Branch'), 'main');
    assert.match(fact('Run') ?? '', /^CI #\d+$/);
    assert.match(fact('Commit') ?? '', /^[0-9a-f]{7} /);
    assert.equal(field(card, 'body', 0, 'color'), 'Attention');
    assert.ok(String(field(card, 'body', 2, 'text')).includes(`[test (node 20)](${jobUrl})`));
    assert.equal(field(card, 'actions', 0, 'url'), runUrl);

    // Mattermost: a Slack-compatible attachment per notification.
    assert.equal(s.mattermost.posts.length, 3);
    const post = s.mattermost.posts[2];
    assert.equal(post?.channel, 'ci');
    assert.equal(field(post, 'attachments', 0, 'color'), '#E01E5A');
    assert.equal(field(post, 'attachments', 0, 'title_link'), runUrl);
    assert.match(String(field(post, 'attachments', 0, 'text')), /Failed jobs:.*test \\\(node 20\\\)/);

    // Google Chat: the run's messages in one thread.
    assert.equal(s.chat.messages.length, 3);
    assert.equal(new Set(s.chat.messages.map((m) => m.thread.name)).size, 1, 'one thread for the run');
    assert.equal(s.chat.threads.size, 1);
    assert.ok(
      s.chat.requests.every(
        (r) => r.query.get('messageReplyOption') === 'REPLY_MESSAGE_FALLBACK_TO_NEW_THREAD',
      ),
    );
    assert.match(JSON.stringify(s.chat.messages[2]?.cardsV2), /Failed jobs:.*test \(node 20\)/);

    // Discord: one message for the run, edited as its events arrived.
    assert.equal(s.discord.messages.size, 1);
    const [message] = [...s.discord.messages.values()];
    assert.ok(message);
    assert.equal(message.username, 'CI');
    assert.equal(message.edits, 2);
    assert.match(String(field(message.embeds, 0, 'title')), /failed on main/);
    assert.equal(field(message.embeds, 0, 'color'), 0xe01e5a);
    assert.match(String(field(message.embeds, 0, 'description')), /test \\\(node 20\\\)/);
    assert.ok(s.discord.requests.every((r) => r.method === 'PATCH' || r.query.get('wait') === 'true'));

    // PagerDuty: only the failed pipeline triggers; running and job events are not its business.
    assert.equal(s.pagerduty.events.length, 1);
    const trigger = s.pagerduty.events[0];
    assert.equal(trigger?.event_action, 'trigger');
    assert.equal(field(trigger, 'payload', 'severity'), 'critical');
    assert.equal(field(trigger, 'payload', 'source'), 'acme/widgets');
    assert.deepEqual(field(trigger, 'payload', 'custom_details', 'failed_jobs'), ['test (node 20)']);
    assert.equal(field(trigger, 'links', 0, 'href'), runUrl);
  });

  it('pagerduty: a red branch triggers one incident (repeats join it) and the fixing run resolves it, under one dedup_key', async () => {
    await start(['pd']);
    await deliver('workflow_run', fixture('workflow_run.completed.failure.json'));
    await deliver(
      'workflow_run',
      runWith('workflow_run.completed.failure.json', { id: 11223399002, run_number: 420 }),
    );
    await deliver('workflow_run', fixture('workflow_run.completed.success.json'));

    assert.deepEqual(
      s.pagerduty.events.map((e) => e.event_action),
      ['trigger', 'trigger', 'resolve'],
    );
    const keys = new Set(s.pagerduty.events.map((e) => e.dedup_key));
    assert.equal(keys.size, 1, 'one dedup_key for the pipeline and branch');
    assert.equal(s.pagerduty.incidents.size, 1);
    const [incident] = [...s.pagerduty.incidents.values()];
    assert.equal(incident?.status, 'resolved');
    assert.equal(incident?.alerts.length, 2, 'the second failure joined the open incident');
    assert.ok(s.pagerduty.requests.every((r) => r.status === 202));
  });

  it('discord: a restarted worker edits the run message it did not post (message id kept in Redis)', async () => {
    await start(['discord']);
    await deliver('workflow_run', fixture('workflow_run.in_progress.json'));
    assert.equal(s.discord.messages.size, 1);
    const prefix = relay.prefix;
    await relay.close();
    relays = [];
    await start(['discord'], { prefix });
    await deliver('workflow_run', fixture('workflow_run.completed.failure.json'));

    assert.equal(s.discord.messages.size, 1, 'no second message');
    const [message] = [...s.discord.messages.values()];
    assert.equal(message?.edits, 1);
    assert.match(String(field(message?.embeds, 0, 'title')), /failed on main/);
    assert.deepEqual(
      s.discord.requests.map((r) => r.method),
      ['POST', 'PATCH'],
    );
  });

  it('discord: posts a new message when the run message was deleted', async () => {
    await start(['discord']);
    await deliver('workflow_run', fixture('workflow_run.in_progress.json'));
    const [first] = [...s.discord.messages.keys()];
    s.discord.deleteMessage(first ?? '');
    await deliver('workflow_run', fixture('workflow_run.completed.failure.json'));
    await deliver('workflow_run', fixture('workflow_run.rerun-attempt-2.json'));
    assert.equal(s.discord.messages.size, 1);
    const [message] = [...s.discord.messages.values()];
    assert.equal(message?.edits, 1, 'the new message is edited from then on');
    assert.deepEqual(
      s.discord.requests.map((r) => `${r.method} ${r.status}`),
      ['POST 200', 'PATCH 404', 'POST 200', 'PATCH 200'],
    );
  });

  it('discord: waits for X-RateLimit-Reset-After when the bucket is empty, so it never hits a 429', async () => {
    s.discord.bucket(1, 400);
    await start(['discord']);
    await deliver('workflow_run', fixture('workflow_run.requested.json'));
    await deliver('workflow_run', fixture('workflow_run.in_progress.json'));
    await deliver('workflow_run', fixture('workflow_run.completed.failure.json'));
    assert.equal(s.discord.requests.length, 3);
    assert.ok(
      s.discord.requests.every((r) => r.status === 200),
      JSON.stringify(s.discord.requests.map((r) => r.status)),
    );
    assert.equal([...s.discord.messages.values()][0]?.edits, 2);
  });

  it('discord: a 429 (retry_after) pauses the sink and requeues without using up an attempt', async () => {
    await start(['discord'], { discordAttempts: 1 });
    s.discord.answerNext(s.discord.errorAnswer(429, '1'));
    await deliver('workflow_run', fixture('workflow_run.completed.failure.json'));
    assert.deepEqual(
      s.discord.requests.map((r) => r.status),
      [429, 200],
    );
    assert.equal(s.discord.messages.size, 1, 'delivered although a single attempt was allowed');
  });
});

import assert from 'node:assert/strict';
import type { CiEvent } from '../../src/event/ci-event-schema';
import { sampleEvent } from '../helpers/sample-event';
import { genericSourceYaml, postGenericEvent } from '../helpers/post-generic-event';
import { answer, startCaptureServer, type CaptureServer } from '../helpers/start-capture-server';
import { startFakeSlack, type FakeSlack } from '../helpers/start-fake-slack';
import { startRedis, type TestRedis } from '../helpers/start-redis';
import { startSmtpServer, type TestSmtpServer } from '../helpers/start-smtp-server';
import { startTestRelay, waitFor, type TestRelay } from '../helpers/start-test-relay';

const slackToken = 'xoxb-5555-6666-group-wait-token';

/** Job `i` of a matrix in run 5150, ending in `status`. */
const matrixJob = (i: number, status: CiEvent['status'] = 'failure') =>
  sampleEvent({
    kind: 'job',
    status,
    providerStatus: status,
    job: { id: String(10_000 + i), name: `test (shard ${i})`, url: `https://ci.example/jobs/${i}` },
    pipeline: { id: '5150', name: 'CI', number: 5150, attempt: 1 },
  });

describe('groupWait (relay, real Redis, delayed BullMQ jobs)', function () {
  this.timeout(40_000);
  let redis: TestRedis;
  let hook: CaptureServer;
  let slack: FakeSlack;
  let smtp: TestSmtpServer;
  let relays: TestRelay[];

  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    await redis.stop();
  });
  beforeEach(async () => {
    hook = await startCaptureServer(answer(204));
    slack = await startFakeSlack({ token: slackToken });
    smtp = await startSmtpServer();
    relays = [];
  });
  afterEach(async () => {
    for (const r of relays) await r.close();
    await Promise.all([hook.close(), slack.close(), smtp.close()]);
  });

  const yaml = (groupWait: string) => `
${genericSourceYaml}sinks:
  - id: hook
    type: http
    url: "${hook.url}"
  - id: team-slack
    type: slack
    token: "\${SLACK_TOKEN}"
    channel: "#ci"
    apiUrl: "${slack.apiUrl}"
    perChannelPerSecond: 50
    mentions: { mona@acme.example: U0MONA }
  - id: team-mail
    type: email
    smtp: "${smtp.url}"
    from: "ci-relay <ci@relay.example>"
    to: [team@acme.example]
    on: [jobs]
routes:
  - name: jobs
    match: { kind: job }
    sinks: [hook, team-slack, team-mail]
    groupWait: ${groupWait}
`;
  const start = async (
    options: { prefix?: string; role?: 'all' | 'worker' | 'receiver'; groupWait?: string } = {},
  ) => {
    const { groupWait = '1s', ...rest } = options;
    const relay = await startTestRelay({
      configYaml: yaml(groupWait),
      redisUrl: redis.url,
      env: { SLACK_TOKEN: slackToken },
      ...rest,
    });
    relays.push(relay);
    return relay;
  };
  const post = (relay: TestRelay, event: CiEvent) => postGenericEvent(relay.url, event);
  /** Group notifications the routers logged, in all. */
  const groupsLogged = () =>
    relays
      .flatMap((r) => r.logLines)
      .filter((l) => l.includes('[router] group of'))
      .map((l) => JSON.parse(l) as { sink: string; events: number });

  it('a 50-job matrix failing within groupWait is one HTTP delivery listing 50 jobs, one mail and one Slack reply', async () => {
    // Long enough for a busy test machine to route all 50 before the window closes.
    const relay = await start({ groupWait: '6s' });
    await Promise.all(Array.from({ length: 50 }, (_, i) => post(relay, matrixJob(i))));
    await waitFor(() => groupsLogged().length === 3, 20_000);
    assert.deepEqual(
      groupsLogged()
        .map((g) => [g.sink, g.events])
        .sort(),
      [
        ['hook', 50],
        ['team-mail', 50],
        ['team-slack', 50],
      ],
    );
    await waitFor(() => hook.requests.length === 1 && smtp.mails.length === 1);
    const envelope = JSON.parse(hook.requests[0]?.body ?? '{}') as {
      type: string;
      data: CiEvent;
      group: { id: string; count: number; events: CiEvent[] };
    };
    assert.equal(envelope.type, 'ci.job.group');
    assert.equal(envelope.group.count, 50);
    assert.equal(new Set(envelope.group.events.map((e) => e.job?.name)).size, 50);

    const [mail] = smtp.mails;
    assert.match(mail?.parsed.text ?? '', /Failed jobs:/);
    assert.equal((mail?.parsed.text ?? '').match(/- test \(shard \d+\)/g)?.length, 50);

    await waitFor(() => slack.topLevel('#ci').length === 1);
    const [main] = slack.topLevel('#ci');
    await waitFor(() => slack.replies('#ci', main?.ts ?? '').length === 1);
    const [reply] = slack.replies('#ci', main?.ts ?? '');
    assert.match(reply?.text ?? '', /^\*50 jobs failed\*/);
    // Posts that mention the person (a post pings once, however often it names them).
    const mentions = slack
      .callsOf('chat.postMessage')
      .filter((c) => JSON.stringify(c.args).includes('<@U0MONA>'));
    assert.equal(mentions.length, 1);
  });

  it('two workers racing on one group produce one notification', async () => {
    const a = await start({ groupWait: '4s' });
    const b = await start({ prefix: a.prefix, role: 'worker', groupWait: '4s' });
    assert.ok(b);
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => post(a, matrixJob(i, i % 2 ? 'success' : 'failure'))),
    );
    await waitFor(() => hook.requests.length >= 1, 15_000);
    await waitFor(() => groupsLogged().filter((g) => g.sink === 'hook').length === 1);
    const routed = relays.map((r) => r.logLines.filter((l) => l.includes('"queued"')).length);
    assert.equal(
      routed.reduce((a, b) => a + b, 0),
      20,
      'every event was routed (by either worker)',
    );
    assert.deepEqual(
      groupsLogged()
        .filter((g) => g.sink === 'hook')
        .map((g) => g.events),
      [20],
    );
    assert.equal(hook.requests.length, 1);
  });

  it('loses nothing when the worker stops during the wait: another worker sends the group', async () => {
    // A window long enough that the first worker is closed well before it ends.
    const first = await start({ groupWait: '4s' });
    const prefix = first.prefix;
    for (let i = 0; i < 5; i++) await post(first, matrixJob(i));
    await waitFor(() => first.logLines.filter((l) => l.includes('"queued"')).length === 5);
    await first.close();
    relays = [];
    assert.equal(hook.requests.length, 0, 'nothing was sent before the window closed');
    await start({ prefix, groupWait: '4s' });
    await waitFor(() => hook.requests.length === 1, 15_000);
    const envelope = JSON.parse(hook.requests[0]?.body ?? '{}') as { group: { count: number } };
    assert.equal(envelope.group.count, 5);
  });
});

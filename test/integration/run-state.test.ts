import assert from 'node:assert/strict';
import type { CiEvent } from '../../src/event/ci-event-schema';
import { sampleEvent } from '../helpers/sample-event';
import { genericSourceYaml, postGenericEvent } from '../helpers/post-generic-event';
import { answer, startCaptureServer, type CaptureServer } from '../helpers/start-capture-server';
import { startFakeSlack, type FakeSlack } from '../helpers/start-fake-slack';
import { startRedis, type TestRedis } from '../helpers/start-redis';
import { startSmtpServer, type TestSmtpServer } from '../helpers/start-smtp-server';
import { startTestRelay, waitFor, type TestRelay } from '../helpers/start-test-relay';

const slackToken = 'xoxb-3333-4444-run-state-token';

/** Run `n` of acme/web CI on main, ending in `status`. */
const run = (n: number, status: CiEvent['status']) =>
  sampleEvent({
    status,
    providerStatus: status,
    pipeline: { id: `90000${n}`, name: 'CI', number: n, attempt: 1, url: `https://ci.example/runs/${n}` },
  });

/** The README's setup: failures of main to the team (Slack and mail), everything to an audit endpoint. */
function configYaml(slack: FakeSlack, smtp: TestSmtpServer, audit: CaptureServer, extraRoute = ''): string {
  return `
${genericSourceYaml}sinks:
  - id: team-slack
    type: slack
    token: "\${SLACK_TOKEN}"
    channel: "#ci"
    apiUrl: "${slack.apiUrl}"
    perChannelPerSecond: 50
  - id: team-mail
    type: email
    smtp: "${smtp.url}"
    from: "ci-relay <ci@relay.example>"
    to: [team@acme.example]
  - id: audit
    type: http
    url: "${audit.url}"
routes:
${extraRoute}  - name: main-failures
    match: { branch: main, kind: pipeline, status: [failure, error] }
    sinks: [team-slack, team-mail]
    continue: true
  - name: everything-to-audit
    sinks: [audit]
`;
}

describe('run state: sendResolved (relay, real Redis, fake Slack, local SMTP)', function () {
  this.timeout(30_000);
  let redis: TestRedis;
  let slack: FakeSlack;
  let smtp: TestSmtpServer;
  let audit: CaptureServer;
  let relay: TestRelay;

  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    await redis.stop();
  });
  beforeEach(async () => {
    slack = await startFakeSlack({ token: slackToken });
    smtp = await startSmtpServer();
    audit = await startCaptureServer(answer(204));
  });
  afterEach(async () => {
    await relay.close();
    await Promise.all([slack.close(), smtp.close(), audit.close()]);
  });

  const start = async (extraRoute = '') => {
    relay = await startTestRelay({
      configYaml: configYaml(slack, smtp, audit, extraRoute),
      redisUrl: redis.url,
      env: { SLACK_TOKEN: slackToken },
    });
  };
  let posted = 0;
  /** Posts `event` and waits until the audit endpoint (every event goes there) got it. */
  const post = async (event: CiEvent) => {
    await postGenericEvent(relay.url, event);
    posted += 1;
    const expected = posted;
    await waitFor(() => audit.requests.length >= expected);
  };

  beforeEach(() => {
    posted = 0;
  });

  /** What the router logged for events of `transition`: the routes taken and the notifications queued. */
  const routed = (transition: string) =>
    relay.logLines
      .map(
        (line) =>
          JSON.parse(line) as { msg?: string; transition?: string; routes?: string[]; queued?: number },
      )
      .filter((l) => l.msg?.startsWith('[router]') && l.transition === transition && l.queued !== undefined)
      .map((l) => ({ routes: l.routes, queued: l.queued }));

  it("the README's failure-only route gets the fix: Slack answers in the failed run's thread, the fixed mail joins the failure's thread", async () => {
    await start();
    await post(run(41, 'failure'));
    await waitFor(() => smtp.mails.length === 1 && slack.topLevel('#ci').length === 1);
    await post(run(42, 'success'));
    await waitFor(() => smtp.mails.length === 2 && slack.topLevel('#ci').length === 2);

    const [failedMail, fixedMail] = smtp.mails;
    assert.match(failedMail?.parsed.subject ?? '', /failed/);
    assert.match(fixedMail?.parsed.text ?? '', /fixed/);
    assert.equal(
      String(fixedMail?.parsed.inReplyTo),
      String(failedMail?.parsed.inReplyTo),
      'the fix replies to the failure thread',
    );

    const [red, green] = slack.topLevel('#ci');
    assert.match(JSON.stringify(red?.attachments), /#E01E5A/);
    assert.match(JSON.stringify(green?.attachments), /#2EB67D/);
    await waitFor(() => slack.replies('#ci', red?.ts ?? '').length === 1);
    assert.match(slack.replies('#ci', red?.ts ?? '')[0]?.text ?? '', /^Fixed: .*#42/);

    // The next pass is no news for the failure-only route: the router queued its audit copy only.
    await post(run(43, 'success'));
    await waitFor(() => routed('passed').length === 1);
    assert.deepEqual(routed('passed')[0], { routes: ['everything-to-audit'], queued: 1 });
    assert.equal(smtp.mails.length, 2);
    assert.equal(slack.topLevel('#ci').length, 2);
  });

  it('sendResolved: false keeps a failure-only route to failures', async () => {
    await start(`  - name: quiet
    match: { branch: main, kind: pipeline, status: failure }
    sinks: [team-mail]
    sendResolved: false
    continue: true
`);
    await post(run(51, 'failure'));
    // quiet and main-failures both mail the failure.
    await waitFor(() => smtp.mails.length === 2);
    await post(run(52, 'success'));
    // main-failures sends the fix; quiet does not.
    await waitFor(() => smtp.mails.length === 3);
    await post(run(53, 'failure'));
    await waitFor(() => smtp.mails.length === 5);
    assert.equal(smtp.mails.filter((m) => /fixed/.test(m.parsed.text ?? '')).length, 1);
  });
});

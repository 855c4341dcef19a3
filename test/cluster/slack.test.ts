import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Cluster } from 'ioredis';
import request from 'supertest';
import { deliveryQueueName, recordsPrefix } from '../../src/redis/keyspace';
import { finishedDeliveries } from '../helpers/finished-deliveries';
import { githubSignature } from '../helpers/sign';
import { startFakeSlack, type FakeSlack } from '../helpers/start-fake-slack';
import { startRedisCluster, type TestRedisCluster } from '../helpers/start-redis-cluster';
import { startTestRelay, waitFor, type TestRelay } from '../helpers/start-test-relay';

const githubSecret = 'cluster-slack-github-secret';
const slackToken = 'xoxb-1111-2222-cluster-token';
const fixture = (name: string) => readFileSync(join(__dirname, '../fixtures/github', name), 'utf8');

const configYaml = (apiUrl: string) => `
version: 1
workers: { eventPartitions: 4 }
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
    rateLimit: { max: 50, perMs: 1000 }
    perChannelPerSecond: 50
routes:
  - name: everything
    sinks: [team-slack]
`;

describe('Redis Cluster: the Slack run message (message ids, locks, channel pacing on a cluster)', function () {
  this.timeout(60_000);
  let cluster: TestRedisCluster;
  let client: Cluster;
  let slack: FakeSlack;
  let relay: TestRelay;

  before(async () => {
    cluster = await startRedisCluster();
    client = new Cluster(cluster.nodes);
    slack = await startFakeSlack({ token: slackToken });
    relay = await startTestRelay({
      configYaml: configYaml(slack.apiUrl),
      redisUrl: '',
      redisClusterNodes: cluster.nodes,
      env: { GITHUB_SECRET: githubSecret, SLACK_TOKEN: slackToken },
    });
  });
  after(async () => {
    await relay?.close();
    await slack?.close();
    client?.disconnect();
    await cluster?.stop();
  });

  let sent = 0;
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
    const queue = new Queue(deliveryQueueName('team-slack', true), {
      connection: client,
      prefix: relay.prefix,
    });
    try {
      await waitFor(async () => {
        const c = await queue.getJobCounts('wait', 'active', 'delayed', 'prioritized');
        const pending = (c.wait ?? 0) + (c.active ?? 0) + (c.delayed ?? 0) + (c.prioritized ?? 0);
        return (
          pending === 0 &&
          (await finishedDeliveries(client, recordsPrefix(relay.prefix, true), 'team-slack')) >= sent
        );
      }, 20_000);
    } finally {
      await queue.close();
    }
  };

  it('posts one message per run, updates it in place and replies the failed job in its thread', async () => {
    await deliver('workflow_run', fixture('workflow_run.requested.json'));
    await deliver('workflow_run', fixture('workflow_run.in_progress.json'));
    await deliver('workflow_job', fixture('workflow_job.in_progress.json'));
    await deliver('workflow_job', fixture('workflow_job.completed.failure.json'));
    await deliver('workflow_run', fixture('workflow_run.completed.failure.json'));

    assert.equal(slack.callsOf('chat.postMessage', false).length, 1, 'one top-level post');
    const [main] = slack.topLevel('#ci');
    assert.ok(main);
    const updates = slack.callsOf('chat.update');
    assert.equal(updates.length, 4);
    for (const u of updates) assert.equal(u.args.ts, main.ts);
    const replies = slack.callsOf('chat.postMessage').filter((c) => c.args.thread_ts === main.ts);
    assert.ok(replies.length >= 1, 'the failed job is replied in the thread');
  });
});

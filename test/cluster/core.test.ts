import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Cluster } from 'ioredis';
import request from 'supertest';
import type { CiEvent } from '../../src/event/ci-event-schema';
import { deliveryQueueName, eventQueueNames } from '../../src/redis/keyspace';
import type { Delivery } from '../../src/store/delivery-record';
import { readSse, type SseClient } from '../helpers/read-sse';
import { postGithub, workflowRunBody } from '../helpers/github-webhooks';
import { answer, startCaptureServer, type CaptureServer } from '../helpers/start-capture-server';
import { startRedisCluster, type TestRedisCluster } from '../helpers/start-redis-cluster';
import { startTestRelay, waitFor, type TestRelay } from '../helpers/start-test-relay';

const githubSecret = 'cluster-test-github-secret';
const sinkSecret = `whsec_${Buffer.from('cluster-test-sink-signing-key-32b!!').toString('base64')}`;
const readKey = `cir_read_${'r'.repeat(40)}`;
const env = { GITHUB_SECRET: githubSecret, READ_KEY: readKey };

const workflowRun = (id: number, conclusion: 'success' | 'failure') =>
  workflowRunBody({ id, state: conclusion });

function configYaml(sinkUrl: string): string {
  return `
version: 1
workers: { eventPartitions: 4 }
sources:
  - id: github
    provider: github
    secrets: ["\${GITHUB_SECRET}"]
sinks:
  - id: hook
    type: http
    url: "${sinkUrl}"
    secret: "${sinkSecret}"
    retry: { attempts: 3, initialDelayMs: 20, maxDelayMs: 50 }
routes:
  - name: everything
    sinks: [hook]
api:
  keys:
    - { id: dashboard, key: "\${READ_KEY}", scopes: [read] }
  rateLimit: { requests: 10000, perSeconds: 60 }
`;
}

describe('Redis Cluster: the core pipeline on 3 masters + 3 replicas', function () {
  this.timeout(60_000);
  let cluster: TestRedisCluster;
  let client: Cluster;
  let sink: CaptureServer;
  let relay: TestRelay;
  let streams: SseClient[] = [];

  before(async () => {
    cluster = await startRedisCluster();
    client = new Cluster(cluster.nodes);
  });
  after(async () => {
    client?.disconnect();
    await cluster?.stop();
  });
  beforeEach(async () => {
    sink = await startCaptureServer(answer(200), sinkSecret);
    relay = await startTestRelay({
      configYaml: configYaml(sink.url),
      redisUrl: '',
      redisClusterNodes: cluster.nodes,
      env,
    });
  });
  afterEach(async () => {
    for (const s of streams) s.close();
    streams = [];
    await relay.close();
    await sink.close();
  });

  const post = (body: string, delivery?: string) =>
    postGithub(relay.url, githubSecret, 'workflow_run', body, delivery);
  const sent = () => sink.requests.filter((r) => r.body.length > 0);
  const api = (path: string) => request(relay.url).get(path).set('authorization', `Bearer ${readKey}`);

  it('is ready, and spreads the queues over the masters', async () => {
    const ready = await request(relay.url).get('/readyz');
    assert.equal(ready.status, 200, JSON.stringify(ready.body));
    const queues = [...eventQueueNames(4, true), deliveryQueueName('hook', true)];
    assert.deepEqual(queues, ['{events-0}', '{events-1}', '{events-2}', '{events-3}', '{deliver-hook}']);
    const masters = new Set(
      await Promise.all(queues.map((q) => cluster.masterOf(`${relay.prefix}:${q}:stream`))),
    );
    assert.ok(masters.size >= 2, `the queues are on ${masters.size} master(s)`);
  });

  it('receives, routes and delivers runs of many partitions once each; a redelivery is a duplicate', async () => {
    const runs = Array.from({ length: 12 }, (_, i) => 700_000 + i);
    const deliveries = runs.map(() => randomUUID());
    for (const [i, run] of runs.entries()) {
      const res = await post(workflowRun(run, 'failure'), deliveries[i]);
      assert.equal(res.status, 202, JSON.stringify(res.body));
    }
    await waitFor(() => sent().length === runs.length, 20_000);
    // The same webhook again: the first delivery's event ids, nothing new queued or sent.
    const again = await post(workflowRun(runs[0] as number, 'failure'), deliveries[0]);
    assert.equal(again.status, 200, JSON.stringify(again.body));
    assert.equal(again.body.duplicate, true);
    // The same news under a new delivery id: the router skips it as an identical notification.
    const twin = await post(workflowRun(runs[1] as number, 'failure'));
    assert.equal(twin.status, 202);
    const twinId = twin.body.events[0] as string;
    await waitFor(async () => {
      const list = await api(`/v1/deliveries?event=${twinId}`);
      return (list.body.items as Delivery[]).some((d) => d.state === 'skipped');
    });
    const ids = sent().map((r) => String(r.headers['webhook-id']));
    assert.equal(new Set(ids).size, runs.length);
    assert.equal(sent().length, runs.length);
    assert.ok(sent().every((r) => r.signatureValid));
  });

  it('serves the /v1 API: events, deliveries and the live stream', async () => {
    const stream = await readSse(`${relay.url}/v1/stream`, { authorization: `Bearer ${readKey}` });
    streams.push(stream);
    assert.equal(stream.status, 200);
    // The feed's reader starts at the stream's tip, read just after the answer's headers went out: an
    // entry written before that read is not streamed (on a single Redis too). Post until one is.
    let eventId = '';
    for (let run = 800_001; !stream.messages.some((m) => m.event === 'ci-event'); run++) {
      assert.ok(run < 800_006, 'no ci-event on the stream after 5 webhooks');
      const res = await post(workflowRun(run, 'success'));
      assert.equal(res.status, 202);
      eventId = res.body.events[0] as string;
      await waitFor(() => stream.messages.some((m) => m.event === 'ci-event'), 3000).catch(() => undefined);
    }
    await waitFor(async () => {
      const list = await api(`/v1/deliveries?event=${eventId}`);
      return (list.body.items as Delivery[])[0]?.state === 'sent';
    });
    const events = await api('/v1/events?repository=acme/*&kind=pipeline&status=success');
    assert.equal(events.status, 200);
    assert.ok((events.body.items as CiEvent[]).some((e) => e.id === eventId));
    const one = await api(`/v1/events/${eventId}`);
    assert.equal(one.body.event.id, eventId);
    assert.equal((one.body.notifications as Delivery[]).length, 1);
    await waitFor(() => stream.messages.some((m) => m.event === 'delivery'));
  });
});

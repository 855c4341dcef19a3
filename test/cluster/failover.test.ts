import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { eventQueueNames } from '../../src/redis/keyspace';
import { eventStreamKeys } from '../../src/pipeline/event-stream';
import { githubSignature } from '../helpers/sign';
import { answer, startCaptureServer, type CaptureServer } from '../helpers/start-capture-server';
import { startRedisCluster, type TestRedisCluster } from '../helpers/start-redis-cluster';
import { startTestRelay, waitFor, type TestRelay } from '../helpers/start-test-relay';

const githubSecret = 'failover-github-secret';
const sinkSecret = `whsec_${Buffer.from('failover-sink-signing-key-32bytes!!').toString('base64')}`;

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const template = JSON.parse(
  readFileSync(join(__dirname, '../fixtures/github/workflow_run.completed.failure.json'), 'utf8'),
) as Json;

function workflowRun(id: number): string {
  const payload = structuredClone(template);
  payload.workflow_run.id = id;
  payload.workflow_run.run_number = id;
  payload.workflow_run.head_branch = 'main';
  return JSON.stringify(payload);
}

const partitions = 4;
const configYaml = (sinkUrl: string) => `
version: 1
workers: { eventPartitions: ${partitions}, stalledAfterMs: 5000 }
sources:
  - id: github
    provider: github
    secrets: ["\${GITHUB_SECRET}"]
sinks:
  - id: hook
    type: http
    url: "${sinkUrl}"
    secret: "${sinkSecret}"
    retry: { attempts: 20, initialDelayMs: 100, maxDelayMs: 1000 }
routes:
  - name: everything
    sinks: [hook]
`;

/**
 * The failover drill: two receivers and a worker on the cluster under a steady load of signed webhooks;
 * the master of an event partition (and whatever else lives on it) is SIGKILLed and its replica takes
 * over. Every webhook answered 202 must reach the sink under exactly one notification id; while the
 * slot has no master the receivers answer 503, never 202-and-lost; they recover without help.
 */
describe('Redis Cluster failover drill: SIGKILL a master under load', function () {
  this.timeout(120_000);
  let cluster: TestRedisCluster;
  let sink: CaptureServer;
  const relays: TestRelay[] = [];

  before(async () => {
    cluster = await startRedisCluster();
    sink = await startCaptureServer(answer(200), sinkSecret);
    const prefix = `drill-${randomUUID()}`;
    const start = (role: 'receiver' | 'worker') =>
      startTestRelay({
        configYaml: configYaml(sink.url),
        redisUrl: '',
        redisClusterNodes: cluster.nodes,
        env: { GITHUB_SECRET: githubSecret },
        role,
        prefix,
      });
    relays.push(await start('receiver'), await start('receiver'), await start('worker'));
  });
  after(async () => {
    for (const relay of relays) await relay.close();
    await sink?.close();
    await cluster?.stop();
  });

  it('answers 202 only for what it delivers, exactly once; 503 while a slot has no master; recovers', async () => {
    const [a, b] = relays as [TestRelay, TestRelay];
    const statuses = new Map<number, number>();
    const accepted = new Map<string, number>(); // event id -> run id
    let next = 900_000;
    let stop = false;
    const notReady: string[] = [];
    let phase: 'before' | 'outage' | 'after' = 'before';
    const byPhase = {
      before: { ok: 0, unavailable: 0 },
      outage: { ok: 0, unavailable: 0 },
      after: { ok: 0, unavailable: 0 },
    };
    let recoveredAt: number | undefined;
    let killedAt = 0;

    const sender = async (relay: TestRelay) => {
      while (!stop) {
        const run = next++;
        const body = workflowRun(run);
        const res = await request(relay.url)
          .post('/hooks/github')
          .set('content-type', 'application/json')
          .set('x-github-event', 'workflow_run')
          .set('x-github-delivery', randomUUID())
          .set('x-hub-signature-256', githubSignature(githubSecret, body))
          .send(body);
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        const counts = byPhase[phase];
        if (res.status === 202) {
          counts.ok++;
          accepted.set(res.body.events[0] as string, run);
          if (phase === 'outage' && recoveredAt === undefined && counts.unavailable > 0)
            recoveredAt = Date.now();
        } else if (res.status === 503) counts.unavailable++;
        else assert.fail(`unexpected ${res.status}: ${JSON.stringify(res.body)}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    };
    const readiness = async () => {
      while (!stop) {
        const res = await request(a.url).get('/readyz');
        if (res.status !== 200)
          notReady.push(String(res.body?.error?.message ?? res.body?.message ?? res.status));
        await new Promise((r) => setTimeout(r, 100));
      }
    };

    const load = Promise.all([sender(a), sender(a), sender(b), sender(b), readiness()]);
    await waitFor(() => accepted.size >= 100, 30_000);

    const key = eventStreamKeys(a.prefix, eventQueueNames(partitions, true)[0] as string).stream;
    const victim = await cluster.masterOf(key);
    killedAt = Date.now();
    phase = 'outage';
    await cluster.kill(victim, 'SIGKILL');
    // The replica has taken over once the surviving nodes name another master for the slot.
    await waitFor(async () => (await cluster.masterOf(key).catch(() => victim)) !== victim, 30_000);
    await cluster.waitHealthy(30_000);
    const failoverMs = Date.now() - killedAt;
    // Keep the load on until the receivers have answered 202 for a while after the failover.
    const acceptedAtFailover = accepted.size;
    phase = 'after';
    await waitFor(() => accepted.size >= acceptedAtFailover + 100, 30_000);
    stop = true;
    await load;

    // Every 202 reaches the sink, under one notification id per event, and nothing else does.
    const delivered = () => sink.requests.filter((r) => r.body.length > 0);
    const idsByEvent = new Map<string, Set<string>>();
    const tally = () => {
      idsByEvent.clear();
      for (const r of delivered()) {
        const eventId = String((JSON.parse(r.body) as Json).data.id);
        const ids = idsByEvent.get(eventId) ?? new Set<string>();
        ids.add(String(r.headers['webhook-id']));
        idsByEvent.set(eventId, ids);
      }
      return [...accepted.keys()].filter((id) => !idsByEvent.has(id));
    };
    await waitFor(() => tally().length === 0, 60_000).catch(() => undefined);
    const missing = tally();
    const doubled = [...idsByEvent.entries()].filter(([, ids]) => ids.size > 1);
    const notifications = delivered().map((r) => String(r.headers['webhook-id']));
    const repeats = notifications.length - new Set(notifications).size;
    const summary = {
      victim,
      failoverMs,
      statuses: Object.fromEntries(statuses),
      byPhase,
      accepted: accepted.size,
      deliveredEvents: idsByEvent.size,
      deliveredRequests: notifications.length,
      sameIdRepeats: repeats,
      missing: missing.length,
      doubled: doubled.length,
      firstAcceptAfterOutageMs: recoveredAt === undefined ? undefined : recoveredAt - killedAt,
      readyzNotReady: notReady.length,
      readyzReasons: [...new Set(notReady)].slice(0, 3),
    };
    console.log(`      drill: ${JSON.stringify(summary)}`);
    assert.equal(missing.length, 0, `202 but never delivered: ${missing.slice(0, 5).join(', ')}`);
    assert.equal(doubled.length, 0, 'an event was delivered under two notification ids');
    // Only events answered 202 are delivered (a 503's event may be delivered too: it was queued after
    // the client gave up waiting; the provider's retry is then a duplicate, which is safe).
    assert.ok(idsByEvent.size >= accepted.size);
    assert.ok(byPhase.outage.unavailable + byPhase.after.unavailable > 0, 'the receivers never answered 503');
    assert.ok(byPhase.after.ok >= 100, 'the receivers did not recover');
    assert.equal((await request(a.url).get('/readyz')).status, 200);
  });
});

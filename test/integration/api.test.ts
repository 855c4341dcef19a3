import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { Queue } from 'bullmq';
import { deliveryQueueName } from '../../src/pipeline/queue-names';
import request from 'supertest';
import type { CiEvent } from '../../src/event/ci-event-schema';
import type { Delivery } from '../../src/store/delivery-record';
import type { RunItem } from '../../src/store/run-board-item';
import { recordKeys } from '../../src/store/record-keys';
import { checkAgainstOpenApi } from '../helpers/check-openapi';
import { readSse, type SseClient } from '../helpers/read-sse';
import {
  postGithub as postSigned,
  workflowJobBody,
  workflowRunBody,
  type Json,
} from '../helpers/github-webhooks';
import {
  startCaptureServer,
  type CaptureServer,
  type Respond,
  answer,
} from '../helpers/start-capture-server';
import { startRedis, type TestRedis } from '../helpers/start-redis';
import { startTestRelay, waitFor, type TestRelay } from '../helpers/start-test-relay';

const githubSecret = 'api-test-github-secret';
const sinkSecret = `whsec_${Buffer.from('api-test-sink-signing-key-32bytes!!').toString('base64')}`;
const readKey = `cir_read_${'r'.repeat(40)}`;
const writeKey = `cir_write_${'w'.repeat(40)}`;
const env = { GITHUB_SECRET: githubSecret, READ_KEY: readKey, WRITE_KEY: writeKey };

const workflowRun = (id: number, number: number, conclusion: 'success' | 'failure') =>
  workflowRunBody({ id, number, state: conclusion });
const workflowJob = (runId: number, jobId: number, name: string, conclusion: 'success' | 'failure') =>
  workflowJobBody({ runId, jobId, name, conclusion });

function configYaml(sinkUrl: string, api = true, extra = ''): string {
  return `
version: 1
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
${
  api
    ? `api:
  keys:
    - { id: dashboard, key: "\${READ_KEY}", scopes: [read] }
    - { id: ops, key: "\${WRITE_KEY}", scopes: [read, write] }
  rateLimit: { requests: 10000, perSeconds: 60 }`
    : ''
}
${extra}`;
}

describe('/v1 API (real pipeline, real Redis, local HTTP sink)', function () {
  this.timeout(30_000);
  let redis: TestRedis;
  let sink: CaptureServer;
  let respond: Respond = answer(200);
  let relay: TestRelay;
  let other: TestRelay | undefined;
  let streams: SseClient[] = [];

  /** Calls the API with `key` and checks the answer against the OpenAPI document. */
  async function api(method: 'GET' | 'POST', path: string, key?: string, body?: unknown, on = relay) {
    let req = method === 'GET' ? request(on.url).get(path) : request(on.url).post(path);
    if (key) req = req.set('authorization', `Bearer ${key}`);
    const res = body === undefined ? await req : await req.send(body as object);
    checkAgainstOpenApi(method, path, res.status, res.body);
    return res;
  }

  const postGithub = (event: string, body: string, on = relay) =>
    postSigned(on.url, githubSecret, event, body).expect(202);

  /** The deliveries of an event; none while the router has not recorded it yet. */
  const deliveriesOf = async (eventId: string): Promise<Delivery[]> => {
    const res = await api('GET', `/v1/events/${eventId}`, readKey);
    return res.status === 404 ? [] : (res.body as { notifications: Delivery[] }).notifications;
  };

  before(async () => {
    redis = await startRedis();
    sink = await startCaptureServer((req, res) => respond(req, res), sinkSecret);
  });
  after(async () => {
    await sink.close();
    await redis.stop();
  });
  beforeEach(async () => {
    respond = answer(200);
    sink.requests.length = 0;
    relay = await startTestRelay({ configYaml: configYaml(sink.url), redisUrl: redis.url, env });
  });
  afterEach(async () => {
    for (const s of streams) s.close();
    streams = [];
    await other?.close();
    other = undefined;
    await relay.close();
  });

  it('serves its OpenAPI 3.1 document without a key', async () => {
    const res = await api('GET', '/v1/openapi.json');
    assert.equal(res.status, 200);
    assert.equal(res.body.openapi, '3.1.0');
    assert.ok(res.body.paths['/v1/events']);
  });

  it('answers 401 without a key or with an unknown one, 403 without the scope', async () => {
    assert.equal((await api('GET', '/v1/events')).status, 401);
    assert.equal((await api('GET', '/v1/events', 'cir_nope_0123456789012345678901234567890')).status, 401);
    const res = await api('POST', '/v1/replay', readKey, { since: '1h' });
    assert.equal(res.status, 403);
    assert.equal(res.body.error.code, 'forbidden');
    const unknown = await request(relay.url)
      .get('/v1/nothing-here')
      .set('authorization', `Bearer ${readKey}`);
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.error.code, 'not_found');
  });

  it('is not there (404) without an api section, except the OpenAPI document', async () => {
    other = await startTestRelay({ configYaml: configYaml(sink.url, false), redisUrl: redis.url, env });
    assert.equal((await api('GET', '/v1/events', readKey, undefined, other)).status, 404);
    assert.equal((await api('GET', '/v1/stream', readKey, undefined, other)).status, 404);
    assert.equal((await api('GET', '/v1/openapi.json', undefined, undefined, other)).status, 200);
  });

  it('lists events newest first, filtered and paged, each with its notifications', async () => {
    const run = (await postGithub('workflow_run', workflowRun(5001, 501, 'failure'))).body
      .events[0] as string;
    const job = (await postGithub('workflow_job', workflowJob(5001, 9001, 'lint', 'failure'))).body
      .events[0] as string;
    await waitFor(() => sink.requests.length === 2);

    const all = await api('GET', '/v1/events', readKey);
    assert.equal(all.status, 200);
    assert.deepEqual(
      all.body.items.map((e: CiEvent) => e.id),
      [job, run],
    );
    assert.equal(all.body.nextCursor, undefined);

    const jobs = await api('GET', '/v1/events?repository=acme/*&kind=job&status=failure&since=5m', readKey);
    assert.deepEqual(
      jobs.body.items.map((e: CiEvent) => e.id),
      [job],
    );
    const none = await api('GET', '/v1/events?branch=release/*', readKey);
    assert.deepEqual(none.body.items, []);
    const either = await api('GET', '/v1/events?kind=job&kind=pipeline&pipeline=CI', readKey);
    assert.equal(either.body.items.length, 2);

    const first = await api('GET', '/v1/events?limit=1', readKey);
    assert.deepEqual(
      first.body.items.map((e: CiEvent) => e.id),
      [job],
    );
    const second = await api('GET', `/v1/events?limit=1&cursor=${first.body.nextCursor as string}`, readKey);
    assert.deepEqual(
      second.body.items.map((e: CiEvent) => e.id),
      [run],
    );
    const third = await api('GET', `/v1/events?limit=1&cursor=${second.body.nextCursor as string}`, readKey);
    assert.deepEqual(third.body.items, []);

    await waitFor(async () => (await deliveriesOf(run))[0]?.state === 'sent');
    const one = await api('GET', `/v1/events/${run}`, readKey);
    assert.equal(one.body.event.id, run);
    const [delivery] = one.body.notifications as Delivery[];
    assert.equal(delivery?.sink, 'hook');
    assert.equal(delivery?.route, 'everything');
    assert.deepEqual(
      delivery?.attempts.map((a) => a.outcome),
      ['sent'],
    );
    const sent = sink.requests.find((r) => (JSON.parse(r.body) as { data: CiEvent }).data.id === run);
    assert.equal(sent?.headers['webhook-id'], delivery?.id);
    assert.equal((await api('GET', '/v1/events/01NOPE', readKey)).status, 404);
  });

  it('refuses bad query parameters with 400 and a JSON error', async () => {
    for (const query of [
      'limit=0',
      'limit=501',
      'limit=ten',
      'colour=red',
      'cursor=not-a-cursor',
      'since=yesterday',
      'until=2026-13-45T00:00:00Z',
      'status=exploded',
      'kind=stage',
      'repository=acme/[',
      'since=1h&until=2h',
      'limit=1&limit=2',
    ]) {
      const res = await api('GET', `/v1/events?${query}`, readKey);
      assert.equal(res.status, 400, query);
      assert.equal(res.body.error.code, 'invalid_parameter', query);
    }
    assert.equal((await api('GET', '/v1/deliveries?state=lost', readKey)).status, 400);
    assert.equal((await api('GET', '/v1/audit?action=explode', readKey)).status, 400);
    assert.equal((await api('GET', '/v1/audit?cursor=zzz', readKey)).status, 400);
    assert.equal((await api('GET', '/v1/runs?limit=-1', readKey)).status, 400);
    assert.equal((await api('GET', '/v1/stream?types=everything', readKey)).status, 400);
    const bad = await request(relay.url)
      .get('/v1/stream')
      .set('authorization', `Bearer ${readKey}`)
      .set('last-event-id', 'x');
    assert.equal(bad.status, 400);
  });

  it('keeps a run board: one line per pipeline and branch, its jobs, transition', async () => {
    await postGithub('workflow_run', workflowRun(6001, 601, 'success'));
    await postGithub('workflow_job', workflowJob(6002, 9101, 'build', 'success'));
    await postGithub('workflow_job', workflowJob(6002, 9102, 'test', 'failure'));
    await postGithub('workflow_run', workflowRun(6002, 602, 'failure'));
    await waitFor(async () => (await api('GET', '/v1/runs', readKey)).body.items[0]?.status === 'failure');
    await waitFor(async () => (await api('GET', '/v1/runs', readKey)).body.items[0]?.jobs.length === 2);
    const board = await api('GET', '/v1/runs?repository=acme/widgets&branch=main', readKey);
    const [line] = board.body.items as RunItem[];
    assert.equal(board.body.items.length, 1);
    assert.equal(line?.runId, '6002');
    assert.equal(line?.number, 602);
    assert.equal(line?.transition, 'broken');
    assert.deepEqual(line?.jobs.map((j) => [j.name, j.status]).sort(), [
      ['build', 'success'],
      ['test', 'failure'],
    ]);

    // A retry of the failed job (a new job id with the same name) replaces it on the line.
    await postGithub('workflow_job', workflowJob(6002, 9103, 'test', 'success'));
    await waitFor(async () =>
      ((await api('GET', '/v1/runs', readKey)).body.items[0] as RunItem).jobs.every(
        (j) => j.status === 'success',
      ),
    );
    await postGithub('workflow_run', workflowRun(6003, 603, 'success'));
    await waitFor(async () => (await api('GET', '/v1/runs', readKey)).body.items[0]?.runId === '6003');
    const fixed = (await api('GET', '/v1/runs?status=success', readKey)).body.items[0] as RunItem;
    assert.equal(fixed.transition, 'fixed');
    assert.deepEqual(fixed.jobs, []);
    assert.deepEqual((await api('GET', '/v1/runs?status=failure', readKey)).body.items, []);
  });

  it('records failed deliveries with every attempt, and retries a dead letter with the same notification id', async () => {
    respond = answer(503);
    const eventId = (await postGithub('workflow_run', workflowRun(7001, 701, 'failure'))).body
      .events[0] as string;
    await waitFor(async () => (await deliveriesOf(eventId))[0]?.state === 'failed');
    const [failed] = await deliveriesOf(eventId);
    assert.ok(failed);
    assert.deepEqual(
      failed.attempts.map((a) => [a.outcome, a.attempt]),
      [
        ['retry', 1],
        ['retry', 2],
        ['failed', 3],
      ],
      'the first attempt (made by the router) and the queued retries are numbered in one series',
    );
    assert.match(failed.error ?? '', /503/);
    assert.equal(sink.requests.length, 3);

    const list = await api('GET', '/v1/deliveries?state=failed&sink=hook', readKey);
    assert.deepEqual(
      list.body.items.map((d: Delivery) => d.id),
      [failed.id],
    );
    assert.deepEqual((await api('GET', '/v1/deliveries?state=sent', readKey)).body.items, []);
    assert.equal((await api('GET', `/v1/deliveries/${failed.id}`, readKey)).body.state, 'failed');
    assert.equal((await api('GET', '/v1/deliveries/msg_nope', readKey)).status, 404);
    assert.equal((await api('POST', `/v1/deliveries/${failed.id}/retry`, readKey)).status, 403);

    respond = answer(200);
    const retried = await api('POST', `/v1/deliveries/${failed.id}/retry`, writeKey);
    assert.equal(retried.status, 202);
    await waitFor(
      async () => (await api('GET', `/v1/deliveries/${failed.id}`, readKey)).body.state === 'sent',
    );
    assert.equal(sink.requests.length, 4);
    assert.deepEqual(new Set(sink.requests.map((r) => r.headers['webhook-id'])), new Set([failed.id]));
    const after = (await api('GET', `/v1/deliveries/${failed.id}`, readKey)).body as Delivery;
    assert.deepEqual(
      after.attempts.map((a) => a.outcome),
      ['retry', 'retry', 'failed', 'retry_requested', 'sent'],
    );
    assert.equal(after.attempts[3]?.by, 'ops');
    assert.equal((await api('POST', `/v1/deliveries/${failed.id}/retry`, writeKey)).status, 409);

    const audit = await api('GET', '/v1/audit?action=delivery.retry', readKey);
    assert.equal(audit.body.items[0].who, 'ops');
    assert.equal(audit.body.items[0].target, failed.id);
    assert.ok(!JSON.stringify(audit.body).includes(writeKey));
    assert.ok(!relay.logLines.join('').includes(writeKey));
  });

  it('a notification refused on its first attempt is a dead letter in the failed set, and retried from there', async () => {
    respond = answer(400);
    const eventId = (await postGithub('workflow_run', workflowRun(7101, 711, 'failure'))).body
      .events[0] as string;
    await waitFor(async () => (await deliveriesOf(eventId))[0]?.state === 'failed');
    const [failed] = await deliveriesOf(eventId);
    assert.ok(failed);
    const queue = new Queue(deliveryQueueName('hook'), {
      connection: { url: redis.url },
      prefix: relay.prefix,
    });
    try {
      await waitFor(async () => (await queue.getFailedCount()) === 1);
      const [job] = await queue.getFailed();
      assert.equal(job?.id, failed.id);
      assert.match(job?.failedReason ?? '', /HTTP 400/);
      assert.equal(sink.requests.length, 1, 'a permanent error is not retried');
      assert.deepEqual(
        failed.attempts.map((a) => [a.outcome, a.attempt]),
        [['failed', 1]],
      );

      respond = answer(200);
      assert.equal((await api('POST', `/v1/deliveries/${failed.id}/retry`, writeKey)).status, 202);
      await waitFor(
        async () => (await api('GET', `/v1/deliveries/${failed.id}`, readKey)).body.state === 'sent',
      );
      assert.equal(sink.requests.length, 2);
      assert.deepEqual(
        sink.requests.map((r) => r.headers['webhook-id']),
        [failed.id, failed.id],
      );
      const after = (await api('GET', `/v1/deliveries/${failed.id}`, readKey)).body as Delivery;
      assert.deepEqual(
        after.attempts.map((a) => [a.outcome, a.attempt ?? null]),
        [
          ['failed', 1],
          ['retry_requested', null],
          ['sent', 2],
        ],
      );
    } finally {
      await queue.close();
    }
  });

  it('replays a time range as new notifications, with a dry run first', async () => {
    const a = (await postGithub('workflow_run', workflowRun(8001, 801, 'failure'))).body.events[0] as string;
    const b = (await postGithub('workflow_run', workflowRun(8002, 802, 'success'))).body.events[0] as string;
    await waitFor(() => sink.requests.length === 2);
    const dry = await api('POST', '/v1/replay', writeKey, { since: '10m', sinks: ['hook'], dryRun: true });
    assert.equal(dry.status, 200);
    assert.equal(dry.body.count, 2);
    assert.deepEqual(
      dry.body.notifications.map((n: { eventId: string }) => n.eventId),
      [a, b],
    );
    assert.equal(sink.requests.length, 2);

    const only = await api('POST', '/v1/replay', writeKey, {
      since: '10m',
      match: { status: 'failure' },
      dryRun: true,
    });
    assert.equal(only.body.count, 1);

    const real = await api('POST', '/v1/replay', writeKey, { since: '10m' });
    assert.equal(real.status, 202);
    assert.equal(real.body.count, 2);
    await waitFor(() => sink.requests.length === 4);
    const ids = sink.requests.map((r) => r.headers['webhook-id']);
    assert.equal(new Set(ids).size, 4, 'replayed notifications have new ids');
    const replayed = (await api('GET', `/v1/deliveries?event=${a}`, readKey)).body.items as Delivery[];
    assert.deepEqual(replayed.map((d) => d.replayOf ?? null).sort(), [null, real.body.replayId]);
    const audit = await api('GET', '/v1/audit?action=replay', readKey);
    assert.equal(audit.body.items[0].target, real.body.replayId);

    for (const body of [
      {},
      { since: 'soon' },
      { since: '1h', sinks: ['nope'] },
      { since: '1h', match: { kind: 'stage' } },
      { since: '1h', extra: 1 },
    ]) {
      const res = await api('POST', '/v1/replay', writeKey, body);
      assert.equal(res.status, 400, JSON.stringify(body));
    }
    const notJson = await request(relay.url)
      .post('/v1/replay')
      .set('authorization', `Bearer ${writeKey}`)
      .set('content-type', 'application/json')
      .send('{');
    assert.equal(notJson.status, 400);
  });

  it('tests routes for a CiEvent or a raw provider webhook, naming what would suppress each', async () => {
    const body = workflowRun(9001, 901, 'failure');
    await postGithub('workflow_run', body);
    await waitFor(() => sink.requests.length === 1);
    const raw = await api('POST', '/v1/route-test', writeKey, {
      provider: 'github',
      headers: { 'X-GitHub-Event': 'workflow_run' },
      body: JSON.parse(body) as Json,
    });
    assert.equal(raw.status, 200);
    const [result] = raw.body.results;
    assert.equal(result.event.repository.name, 'acme/widgets');
    // The same failure again, after the one just routed: still failing.
    assert.equal(result.event.transition, 'still_failing');
    assert.equal(result.routes[0].route, 'everything');
    assert.equal(result.routes[0].sinks[0].wouldSend, false);
    assert.equal(result.routes[0].sinks[0].suppressedBy[0].kind, 'dedup');

    const fresh = { ...(raw.body.results[0].event as CiEvent), pipeline: { id: '9999', name: 'CI' } };
    const direct = await api('POST', '/v1/route-test', writeKey, { event: fresh });
    assert.equal(
      direct.body.results[0].routes[0].sinks[0].wouldSend,
      true,
      JSON.stringify(direct.body.results[0].routes),
    );
    const ignored = await api('POST', '/v1/route-test', writeKey, {
      provider: 'github',
      headers: { 'x-github-event': 'push' },
      body: {},
    });
    assert.ok(ignored.body.ignored);
    assert.equal((await api('POST', '/v1/route-test', writeKey, { provider: 'nope', body: {} })).status, 400);
    assert.equal((await api('POST', '/v1/route-test', writeKey, { event: { kind: 'job' } })).status, 400);
  });

  it('audits config reloads as "config"', async () => {
    assert.equal(relay.configStore.reload(), true);
    await waitFor(
      async () => (await api('GET', '/v1/audit?action=config.reload', readKey)).body.items.length === 1,
    );
    const [entry] = (await api('GET', '/v1/audit?who=config', readKey)).body.items;
    assert.equal(entry.action, 'config.reload');
    assert.equal(entry.target, relay.configFile);
  });

  it('streams events and delivery changes from every instance, and resumes with Last-Event-ID', async () => {
    other = await startTestRelay({
      configYaml: configYaml(sink.url),
      redisUrl: redis.url,
      env,
      prefix: relay.prefix,
      role: 'receiver',
    });
    const auth = { authorization: `Bearer ${readKey}` };
    const stream = await readSse(`${other.url}/v1/stream`, auth);
    streams.push(stream);
    assert.equal(stream.status, 200);
    // Received by the first instance, seen by a client of the second.
    const first = (await postGithub('workflow_run', workflowRun(10_001, 1001, 'failure'))).body
      .events[0] as string;
    await waitFor(() =>
      stream.messages.some((m) => m.event === 'ci-event' && (m.data as CiEvent).id === first),
    );
    await waitFor(() =>
      stream.messages.some((m) => m.event === 'delivery' && (m.data as Delivery).state === 'sent'),
    );
    const lastId = stream.messages.at(-1)?.id as string;
    stream.close();

    const missed = (await postGithub('workflow_run', workflowRun(10_002, 1002, 'success'))).body
      .events[0] as string;
    await waitFor(() => sink.requests.length === 2);
    const client = new Redis(redis.url);
    const expected = (await client.xrange(recordKeys(relay.prefix).stream, `(${lastId}`, '+')).map(
      ([id]) => id,
    );
    const resumed = await readSse(`${relay.url}/v1/stream`, { ...auth, 'last-event-id': lastId });
    streams.push(resumed);
    await waitFor(() => resumed.messages.length >= expected.length);
    assert.deepEqual(
      resumed.messages.map((m) => m.id),
      expected,
    );
    assert.ok(resumed.messages.some((m) => m.event === 'ci-event' && (m.data as CiEvent).id === missed));

    const filtered = await readSse(
      `${relay.url}/v1/stream?types=ci-event&status=success&lastEventId=${lastId}`,
      auth,
    );
    streams.push(filtered);
    await waitFor(() => filtered.messages.length === 1);
    assert.equal((filtered.messages[0]?.data as CiEvent).id, missed);

    // A position older than what is retained: the client is told to refetch.
    await client.xtrim(recordKeys(relay.prefix).stream, 'MAXLEN', 1);
    const stale = await readSse(`${relay.url}/v1/stream`, { ...auth, 'last-event-id': lastId });
    streams.push(stale);
    await waitFor(() => stale.messages.length === 1);
    assert.equal(stale.messages[0]?.event, 'reset');
    client.disconnect();
  });
});

import assert from 'node:assert/strict';
import request from 'supertest';
import type { CiEvent } from '../../src/event/ci-event-schema';
import { flakyNote } from '../../src/event/flaky-note';
import type { Delivery } from '../../src/store/delivery-record';
import { checkAgainstOpenApi } from '../helpers/check-openapi';
import { genericWebhookBody, sampleEvent } from '../helpers/sample-event';
import { genericSourceYaml, postGenericEvent } from '../helpers/post-generic-event';
import { answer, startCaptureServer, type CaptureServer } from '../helpers/start-capture-server';
import { startRedis, type TestRedis } from '../helpers/start-redis';
import { startTestRelay, waitFor, type TestRelay } from '../helpers/start-test-relay';

const apiKey = 'noise-control-test-key-0123456789';
const hour = 3_600_000;

/** Run `n` of acme/web CI on main, ending in `status` (on commit `sha`, default one per run). */
const run = (n: number, status: CiEvent['status'], sha = `${n}`.padStart(40, 'a')) =>
  sampleEvent({
    status,
    providerStatus: status,
    commit: { sha, message: `commit ${n}` },
    pipeline: { id: `70000${n}`, name: 'CI', number: n, attempt: 1 },
  });

describe('noise controls on routes (relay, real Redis, injected clock)', function () {
  this.timeout(30_000);
  let redis: TestRedis;
  let hook: CaptureServer;
  let relay: TestRelay;
  let clock: number;
  let posted: string[];

  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    await redis.stop();
  });
  beforeEach(async () => {
    hook = await startCaptureServer(answer(204));
    // Wednesday 2025-01-15 10:00 UTC (11:00 in Berlin).
    clock = Date.UTC(2025, 0, 15, 10, 0, 0);
    posted = [];
  });
  afterEach(async () => {
    await relay.close();
    await hook.close();
  });

  const start = async (routes: string, extra = '') => {
    relay = await startTestRelay({
      redisUrl: redis.url,
      env: { API_KEY: apiKey },
      now: () => clock,
      configYaml: `
${genericSourceYaml}sinks:
  - id: hook
    type: http
    url: "${hook.url}"
api:
  keys: [{ id: ops, key: "\${API_KEY}", scopes: [read, write] }]
${extra}
routes:
${routes}
`,
    });
  };

  /** Posts `event` and waits until the router has routed it; resolves to its event id. */
  const post = async (event: CiEvent): Promise<string> => {
    const id = await postGenericEvent(relay.url, event);
    posted.push(id);
    await waitFor(() =>
      relay.logLines.some(
        (l) => l.includes('[router]') && l.includes(`"event":"${id}"`) && l.includes('"queued"'),
      ),
    );
    return id;
  };

  /** The deliveries of one event, through the API (each answer checked against the OpenAPI document). */
  const deliveriesOf = async (eventId: string): Promise<Delivery[]> => {
    const url = `/v1/deliveries?event=${eventId}`;
    const res = await request(relay.url).get(url).set('authorization', `Bearer ${apiKey}`);
    checkAgainstOpenApi('GET', url, res.status, res.body);
    return (res.body as { items: Delivery[] }).items;
  };

  /** Notifications the router queued so far, by its log: proves that nothing more will arrive. */
  const queued = () =>
    relay.logLines
      .map((l) => JSON.parse(l) as { msg?: string; queued?: number })
      .filter((l) => l.msg?.startsWith('[router]') && typeof l.queued === 'number')
      .reduce((sum, l) => sum + (l.queued ?? 0), 0);

  /** The events the hook received, as `status/transition`. */
  const received = () =>
    hook.requests.map((r) => {
      const data = (JSON.parse(r.body) as { data: CiEvent }).data;
      return `${data.pipeline.number}:${data.status}/${data.transition ?? '-'}`;
    });

  it('after: 2 holds the first failure back, sends the second as broken, and a fix only of a notified failure', async () => {
    await start(`  - name: main
    match: { branch: main, kind: pipeline, transition: [broken, still_failing, fixed] }
    sinks: [hook]
    after: 2`);
    // route-test says what would hold the first failure back.
    const url = '/v1/route-test';
    const test = await request(relay.url)
      .post(url)
      .set('authorization', `Bearer ${apiKey}`)
      .send({ event: genericWebhookBody(run(1, 'failure')) });
    checkAgainstOpenApi('POST', url, test.status, test.body);
    const explained = test.body as {
      results: Array<{ routes: Array<{ sinks: Array<{ suppressedBy: unknown[] }> }> }>;
    };
    assert.deepEqual(explained.results[0]?.routes[0]?.sinks[0]?.suppressedBy, [
      { kind: 'after', reason: 'failure 1 in a row; the route (after: 2) waits for 2' },
    ]);
    const first = await post(run(1, 'failure'));
    await post(run(2, 'success')); // a fix of one failure: the route never told anyone
    await post(run(3, 'failure'));
    await post(run(4, 'failure'));
    await post(run(5, 'failure'));
    await post(run(6, 'success'));
    assert.equal(queued(), 3);
    await waitFor(() => hook.requests.length === 3);
    assert.deepEqual(received(), ['4:failure/broken', '5:failure/still_failing', '6:success/fixed']);
    const [held] = await deliveriesOf(first);
    assert.equal(held?.state, 'skipped');
    assert.equal(held?.attempts[0]?.outcome, 'after');
    assert.match(held?.attempts[0]?.error ?? '', /failure 1 in a row/);
  });

  it('repeatInterval: 4h sends still_failing at most once per 4 hours (simulated time)', async () => {
    await start(`  - name: main
    match: { kind: pipeline, status: failure }
    sinks: [hook]
    repeatInterval: 4h`);
    await post(run(1, 'failure'));
    clock += 1 * hour;
    const quiet = await post(run(2, 'failure'));
    clock += 2 * hour;
    await post(run(3, 'failure'));
    clock += 1.5 * hour; // 4.5 h after the first
    await post(run(4, 'failure'));
    clock += 1 * hour;
    await post(run(5, 'failure'));
    assert.equal(queued(), 2);
    await waitFor(() => hook.requests.length === 2);
    assert.deepEqual(received(), ['1:failure/broken', '4:failure/still_failing']);
    const [held] = await deliveriesOf(quiet);
    assert.equal(held?.attempts[0]?.outcome, 'repeatInterval');
    assert.match(held?.attempts[0]?.error ?? '', /last notified 1h ago \(repeatInterval 4h\)/);
  });

  it('muteTimeIntervals and activeTimeIntervals (time zones): muted notifications are recorded as silenced, and nothing is held back once the interval ends', async () => {
    await start(
      `  - name: office-hours
    match: { status: failure }
    sinks: [hook]
    activeTimeIntervals: [berlin-office]
    muteTimeIntervals: [lunch]
    continue: true`,
      `timeIntervals:
  - name: berlin-office
    timeIntervals:
      - { weekdays: ["monday:friday"], times: [{ startTime: "09:00", endTime: "18:00" }], location: Europe/Berlin }
  - name: lunch
    timeIntervals:
      - { times: [{ startTime: "12:00", endTime: "13:00" }], location: Europe/Berlin }`,
    );
    await post(run(1, 'failure')); // Wed 11:00 Berlin: sent
    clock = Date.UTC(2025, 0, 15, 11, 30); // 12:30 Berlin: lunch
    const lunch = await post(run(2, 'failure'));
    clock = Date.UTC(2025, 0, 15, 17, 30); // 18:30 Berlin: after hours
    const evening = await post(run(3, 'failure'));
    clock = Date.UTC(2025, 0, 18, 10, 0); // Saturday
    await post(run(4, 'failure'));
    clock = Date.UTC(2025, 6, 16, 15, 30); // Wednesday in July, 17:30 Berlin (summer time, UTC+2)
    await post(run(5, 'failure'));
    clock = Date.UTC(2025, 6, 16, 16, 30); // 18:30 Berlin in summer
    await post(run(6, 'failure'));
    assert.equal(queued(), 2);
    await waitFor(() => hook.requests.length === 2);
    assert.deepEqual(
      received().map((r) => r.split(':')[0]),
      ['1', '5'],
    );
    const [muted] = await deliveriesOf(lunch);
    assert.equal(muted?.state, 'silenced');
    assert.equal(muted?.attempts[0]?.outcome, 'muted');
    assert.match(muted?.attempts[0]?.error ?? '', /mute time interval "lunch"/);
    const [outside] = await deliveriesOf(evening);
    assert.match(outside?.attempts[0]?.error ?? '', /outside the active time intervals \(berlin-office\)/);
  });

  it('match.flaky: a pipeline that failed and then passed on the same commit is marked flaky', async () => {
    await start(`  - name: flaky
    match: { flaky: true }
    sinks: [hook]`);
    await post(run(1, 'failure', 'f'.repeat(40)));
    await post(run(2, 'success', 'f'.repeat(40))); // a re-run of the same commit
    await post(run(3, 'failure', 'e'.repeat(40)));
    await post(run(4, 'success', 'd'.repeat(40))); // fixed by another commit: not flaky
    assert.equal(queued(), 1);
    await waitFor(() => hook.requests.length === 1);
    assert.deepEqual(received(), ['2:success/fixed']);
    const data = (JSON.parse(hook.requests[0]?.body ?? '{}') as { data: CiEvent }).data;
    assert.equal(data.flaky, true);
    assert.equal(flakyNote(data), 'passed on a re-run of the same commit after failing: flaky?');
  });

  it('marks a job that passed after a failed attempt of the same name flaky, and counts it per job name', async () => {
    await start(`  - name: flaky-jobs
    match: { kind: job, flaky: true }
    sinks: [hook]`);
    const job = (id: string, status: CiEvent['status'], attempt: number) =>
      sampleEvent({
        kind: 'job',
        status,
        job: { id, name: 'e2e (chrome)' },
        pipeline: { id: '8000', name: 'CI', attempt },
      });
    await post(job('11', 'failure', 1));
    await post(job('12', 'success', 2));
    assert.equal(queued(), 1);
    await waitFor(() => hook.requests.length === 1);
    const url = '/v1/flaky-jobs?repository=acme/*';
    const res = await request(relay.url).get(url).set('authorization', `Bearer ${apiKey}`);
    checkAgainstOpenApi('GET', url, res.status, res.body);
    assert.deepEqual(res.body, {
      items: [{ repository: 'acme/web', pipeline: 'CI', job: 'e2e (chrome)', count: 1 }],
    });
    const none = await request(relay.url)
      .get('/v1/flaky-jobs?repository=other/*')
      .set('authorization', `Bearer ${apiKey}`);
    assert.deepEqual(none.body, { items: [] });
  });
});

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import request from 'supertest';
import { parseMatchPairs } from '../../src/cli/silence-command';
import type { CiEvent } from '../../src/event/ci-event-schema';
import type { AuditEntry } from '../../src/store/create-audit-log';
import type { Silence } from '../../src/store/create-silence-store';
import type { Delivery } from '../../src/store/delivery-record';
import { checkAgainstOpenApi } from '../helpers/check-openapi';
import { genericWebhookBody, sampleEvent } from '../helpers/sample-event';
import { genericSourceYaml, postGenericEvent } from '../helpers/post-generic-event';
import { answer, startCaptureServer, type CaptureServer } from '../helpers/start-capture-server';
import { startRedis, type TestRedis } from '../helpers/start-redis';
import { startTestRelay, waitFor, type TestRelay } from '../helpers/start-test-relay';

const readKey = 'silences-test-read-key-0123456789';
const writeKey = 'silences-test-write-key-0123456789';

/** A failed run `n` of `repository`. */
const failed = (n: number, repository: string) =>
  sampleEvent({
    repository: { name: repository },
    pipeline: { id: `60000${n}`, name: 'CI', number: n, attempt: 1 },
  });

describe('silences (/v1/silences, relay, real Redis, injected clock)', function () {
  this.timeout(30_000);
  let redis: TestRedis;
  let hook: CaptureServer;
  let relay: TestRelay;
  let clock: number;

  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    await redis.stop();
  });
  beforeEach(async () => {
    hook = await startCaptureServer(answer(204));
    clock = Date.UTC(2025, 0, 15, 10, 0, 0);
    relay = await startTestRelay({
      redisUrl: redis.url,
      env: { READ_KEY: readKey, WRITE_KEY: writeKey },
      now: () => clock,
      configYaml: `
${genericSourceYaml}sinks:
  - id: hook
    type: http
    url: "${hook.url}"
api:
  keys:
    - { id: dashboard, key: "\${READ_KEY}", scopes: [read] }
    - { id: ops, key: "\${WRITE_KEY}", scopes: [read, write] }
routes:
  - name: all
    sinks: [hook]
`,
    });
  });
  afterEach(async () => {
    await relay.close();
    await hook.close();
  });

  /** Calls the API and checks the answer against the OpenAPI document. */
  const api = async (method: 'GET' | 'POST' | 'DELETE', url: string, key: string, send?: unknown) => {
    const agent = request(relay.url);
    let req = (
      method === 'GET' ? agent.get(url) : method === 'POST' ? agent.post(url) : agent.delete(url)
    ).set('authorization', `Bearer ${key}`);
    if (send !== undefined) req = req.send(send as object);
    const res = await req;
    checkAgainstOpenApi(method, url, res.status, res.body);
    return res;
  };

  const post = async (event: CiEvent): Promise<string> => {
    const id = await postGenericEvent(relay.url, event);
    await waitFor(() =>
      relay.logLines.some(
        (l) => l.includes('[router]') && l.includes(`"event":"${id}"`) && l.includes('"queued"'),
      ),
    );
    return id;
  };
  const deliveriesOf = async (eventId: string) =>
    (await api('GET', `/v1/deliveries?event=${eventId}`, readKey)).body.items as Delivery[];

  it('a silence suppresses a matching event (recorded as silenced, with its id), not a non-matching one, and ends', async () => {
    const endsAt = new Date(clock + 2 * 3600_000).toISOString();
    const created = await api('POST', '/v1/silences', writeKey, {
      match: { repository: 'acme/web' },
      endsAt,
      comment: 'migrating the runners',
    });
    assert.equal(created.status, 201);
    const silence = created.body as Silence;
    assert.match(silence.id, /^sil_[0-9A-Z]{26}$/);
    assert.equal(silence.state, 'active');
    assert.equal(silence.createdBy, 'ops');
    assert.equal(silence.endsAt, endsAt);

    const quiet = await post(failed(1, 'acme/web'));
    await post(failed(2, 'acme/api'));
    const [silenced] = await deliveriesOf(quiet);
    assert.equal(silenced?.state, 'silenced');
    assert.match(
      silenced?.attempts[0]?.error ?? '',
      new RegExp(`silence ${silence.id} by ops .*migrating the runners`),
    );
    await waitFor(() => hook.requests.length === 1);

    // route-test shows it too.
    const test = await api('POST', '/v1/route-test', writeKey, {
      event: genericWebhookBody(failed(3, 'acme/web')),
    });
    assert.equal(test.status, 200);
    assert.match(JSON.stringify(test.body), /"kind":"silence"/);

    clock += 3 * 3600_000; // past endsAt
    const listed = await api('GET', '/v1/silences?state=expired', readKey);
    assert.deepEqual(
      (listed.body as { items: Silence[] }).items.map((s) => s.id),
      [silence.id],
    );
    await post(failed(4, 'acme/web'));
    await waitFor(() => hook.requests.length === 2);
  });

  it('a silence made, then expired, while the router holds the silences in memory holds from the next event', async () => {
    // The router has read the silences (none) for this event and keeps them.
    await post(failed(1, 'acme/web'));
    await waitFor(() => hook.requests.length === 1);
    const created = await api('POST', '/v1/silences', writeKey, {
      match: { repository: 'acme/web' },
      endsAt: new Date(clock + 3600_000).toISOString(),
      comment: 'made after the router read the silences',
    });
    assert.equal(created.status, 201);
    const quiet = await post(failed(2, 'acme/web'));
    assert.equal((await deliveriesOf(quiet))[0]?.state, 'silenced');

    const expired = await api('DELETE', `/v1/silences/${(created.body as Silence).id}`, writeKey);
    assert.equal(expired.status, 200);
    const loud = await post(failed(3, 'acme/web'));
    await waitFor(() => hook.requests.length === 2);
    assert.equal((await deliveriesOf(loud))[0]?.state, 'sent');
    assert.equal((await deliveriesOf(quiet))[0]?.state, 'silenced');
  });

  it('DELETE expires a silence at once; create and expire are audited; read keys cannot write', async () => {
    const denied = await api('POST', '/v1/silences', readKey, {
      match: { branch: 'main' },
      endsAt: new Date(clock + 3600_000).toISOString(),
      comment: 'x',
    });
    assert.equal(denied.status, 403);
    const silence = (
      await api('POST', '/v1/silences', writeKey, {
        match: { branch: 'main' },
        endsAt: new Date(clock + 3600_000).toISOString(),
        comment: 'release freeze',
      })
    ).body as Silence;
    assert.equal((await api('GET', `/v1/silences/${silence.id}`, readKey)).body.state, 'active');
    const expired = await api('DELETE', `/v1/silences/${silence.id}`, writeKey);
    assert.equal(expired.status, 200);
    assert.equal((expired.body as Silence).state, 'expired');
    assert.equal((expired.body as Silence).expiredBy, 'ops');
    await post(failed(5, 'acme/web'));
    await waitFor(() => hook.requests.length === 1);

    const audit = (await api('GET', '/v1/audit', readKey)).body as { items: AuditEntry[] };
    assert.deepEqual(
      audit.items.filter((a) => a.target === silence.id).map((a) => [a.action, a.who]),
      [
        ['silence.expire', 'ops'],
        ['silence.create', 'ops'],
      ],
    );
    assert.equal((await api('GET', '/v1/silences/sil_nope', readKey)).status, 404);
    assert.equal((await api('DELETE', '/v1/silences/sil_nope', writeKey)).status, 404);
  });

  it('refuses a silence without an end, one already over, a bad glob, and one that matches everything unless all: true', async () => {
    const future = new Date(clock + 3600_000).toISOString();
    const refused = async (send: unknown, pattern: RegExp) => {
      const res = await api('POST', '/v1/silences', writeKey, send);
      assert.equal(res.status, 400);
      assert.match((res.body as { error: { message: string } }).error.message, pattern);
    };
    await refused({ match: { branch: 'main' }, comment: 'x' }, /endsAt/);
    await refused(
      { match: { branch: 'main' }, endsAt: new Date(clock - 1).toISOString(), comment: 'x' },
      /in the future/,
    );
    await refused({ match: { branch: 'feat/(' }, endsAt: future, comment: 'x' }, /invalid glob/);
    await refused({ match: {}, endsAt: future, comment: 'x' }, /every notification/);
    const all = await api('POST', '/v1/silences', writeKey, {
      match: {},
      endsAt: future,
      comment: 'x',
      all: true,
    });
    assert.equal(all.status, 201);
  });

  it('ci-relay silence add|list|expire: the real command line through the API', async () => {
    // The CLI runs in its own process with the real clock; the relay's clock is set to match.
    clock = Date.now();
    const cli = async (...args: string[]) =>
      (
        await promisify(execFile)(
          process.execPath,
          ['--import', 'tsx', 'src/main.ts', 'silence', ...args, '--url', relay.url],
          { cwd: join(__dirname, '../..'), env: { ...process.env, CI_RELAY_API_KEY: writeKey } },
        )
      ).stdout;
    const added = await cli(
      'add',
      '--match',
      'repository=acme/web',
      '--for',
      '2h',
      '--comment',
      'runner migration',
    );
    const id = /^(sil_\w+) {2}active/.exec(added)?.[1];
    assert.ok(id, added);
    assert.match(added, /repository=acme\/web {2}by ops: runner migration/);
    assert.match(await cli('list'), new RegExp(id));
    assert.match(await cli('expire', id), new RegExp(`${id}  expired`));
    await assert.rejects(cli('add', '--for', '1h', '--comment', 'everything'), (e: { stderr: string }) =>
      /would silence every notification/.test(e.stderr),
    );
  });

  it('parses --match pairs into a route match (a key twice is "any of")', () => {
    assert.deepEqual(
      parseMatchPairs(['repository=acme/*', 'branch=main', 'branch=release/*', 'flaky=true']),
      {
        repository: 'acme/*',
        branch: ['main', 'release/*'],
        flaky: true,
      },
    );
    assert.throws(() => parseMatchPairs(['colour=red']), /unknown key "colour"/);
    assert.throws(() => parseMatchPairs(['branch']), /key=value/);
  });
});

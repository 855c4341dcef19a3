import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createApiClient } from '../../src/cli/api-client';
import { listDeliveries, retryDeliveries } from '../../src/cli/deliveries-command';
import { replay } from '../../src/cli/replay-command';
import { postGithub, workflowRunBody } from '../helpers/github-webhooks';
import {
  answer,
  startCaptureServer,
  type CaptureServer,
  type Respond,
} from '../helpers/start-capture-server';
import { startRedis, type TestRedis } from '../helpers/start-redis';
import { startTestRelay, waitFor, type TestRelay } from '../helpers/start-test-relay';

const githubSecret = 'cli-test-github-secret';
const opsKey = `cir_ops_${'o'.repeat(40)}`;
const root = join(__dirname, '../..');

describe('ci-relay deliveries and replay commands (through the API of a running relay)', function () {
  this.timeout(60_000);
  let redis: TestRedis;
  let sink: CaptureServer;
  let respond: Respond;
  let relay: TestRelay;

  const post = (id: number, conclusion: 'success' | 'failure') =>
    postGithub(relay.url, githubSecret, 'workflow_run', workflowRunBody({ id, state: conclusion })).expect(
      202,
    );

  before(async () => {
    redis = await startRedis();
    respond = answer(500);
    sink = await startCaptureServer((req, res) => respond(req, res));
    relay = await startTestRelay({
      redisUrl: redis.url,
      env: { GH: githubSecret, OPS: opsKey },
      configYaml: `
version: 1
sources: [{ id: github, provider: github, secrets: ["\${GH}"] }]
sinks:
  - { id: hook, type: http, url: "${sink.url}", retry: { attempts: 2, initialDelayMs: 10, maxDelayMs: 20 } }
routes: [{ name: all, sinks: [hook] }]
api:
  keys: [{ id: ops, key: "\${OPS}", scopes: [read, write] }]
`,
    });
  });
  after(async () => {
    await relay.close();
    await sink.close();
    await redis.stop();
  });

  it('lists failed deliveries, retries them all with progress, then replays a range', async () => {
    for (let i = 1; i <= 12; i++) await post(100 + i, i % 2 ? 'failure' : 'success');
    const api = createApiClient({ url: relay.url, key: opsKey });
    await waitFor(async () => {
      let n = 0;
      for await (const d of listDeliveries(api, { state: ['failed'] })) if (d.sink === 'hook') n++;
      return n === 12;
    });

    // The real command line, as an operator types it.
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [
        '--import',
        'tsx',
        'src/main.ts',
        'deliveries',
        'list',
        '--state',
        'failed',
        '-n',
        '3',
        '--url',
        relay.url,
      ],
      { cwd: root, env: { ...process.env, CI_RELAY_API_KEY: opsKey } },
    );
    assert.equal(stdout.trim().split('\n').length, 3);
    assert.match(stdout, /msg_\w+ +failed +hook +all +acme\/widgets CI/);

    respond = answer(200);
    const progress: string[] = [];
    const result = await retryDeliveries(api, [], {}, (line) => progress.push(line));
    assert.equal(result.retried, 12);
    assert.deepEqual(progress, ['retried 10/12', 'retried 12/12']);
    await waitFor(async () => {
      for await (const d of listDeliveries(api, { state: ['failed', 'pending'] })) return d === undefined;
      return true;
    });

    const lines: string[] = [];
    const dry = await replay(
      api,
      { since: '1h', match: { status: 'failure' }, dryRun: true },
      (l) => lines.push(l),
      () => undefined,
    );
    assert.equal(dry, 6);
    assert.equal(lines.at(-1), 'dry run: 6 notifications from 6 events');

    const before = sink.requests.length;
    const steps: string[] = [];
    const total = await replay(
      api,
      { since: '1h', dryRun: false, slices: 4 },
      () => undefined,
      (l) => steps.push(l),
    );
    assert.equal(total, 12);
    assert.equal(steps.length, 4);
    assert.match(steps.at(-1) ?? '', /\(100%\): 12 notifications/);
    await waitFor(() => sink.requests.length === before + 12);
  });

  it('says plainly when the key is missing or the relay cannot be reached', async () => {
    await assert.rejects(
      listDeliveries(createApiClient({ url: relay.url }, {}), {}).next(),
      /CI_RELAY_API_KEY/,
    );
    await assert.rejects(
      listDeliveries(createApiClient({ url: 'http://127.0.0.1:1', key: opsKey }), {}).next(),
      /cannot reach/,
    );
  });
});

import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { startRedis, freePort, type TestRedis } from '../helpers/start-redis';
import { waitFor } from '../helpers/start-test-relay';

/** The pids of `pid`'s child processes (Linux `ps`). */
function childrenOf(pid: number): number[] {
  try {
    return execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' })
      .split('\n')
      .map((l) => Number(l.trim()))
      .filter((n) => n > 0);
  } catch {
    return [];
  }
}

describe('ci-relay start --processes N (node:cluster, real processes)', function () {
  this.timeout(240_000);
  let redis: TestRedis;
  let relay: ChildProcess | undefined;

  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    if (relay && relay.exitCode === null) relay.kill('SIGKILL');
    await redis.stop();
  });

  it('serves one port from N processes, replaces one that dies, and stops them all on SIGTERM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ci-relay-procs-'));
    const config = join(dir, 'relay.yaml');
    writeFileSync(
      config,
      'version: 1\nsources: [{ id: open, provider: generic, insecure: true }]\nsinks: []\nroutes: []\n',
    );
    const port = await freePort();
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'src/main.ts', 'start', '--config', config, '--processes', '2'],
      {
        cwd: join(__dirname, '../..'),
        env: {
          ...process.env,
          REDIS_URL: redis.url,
          PORT: String(port),
          HOST: '127.0.0.1',
          LOG_LEVEL: 'warn',
        },
        stdio: ['ignore', 'ignore', 'inherit'],
      },
    );
    relay = child;
    const pid = child.pid as number;
    const url = `http://127.0.0.1:${port}`;
    await waitFor(
      async () =>
        (
          await request(url)
            .get('/readyz')
            .catch(() => ({ status: 0 }))
        ).status === 200,
      90_000,
    );
    await waitFor(() => childrenOf(pid).length === 2, 90_000);

    // /metrics counts the webhooks of every process, whichever one answers the scrape.
    for (let i = 0; i < 6; i++)
      await request(url).post('/hooks/open').set('content-type', 'application/json').send('{}');
    for (let i = 0; i < 4; i++) {
      const text = (await request(url).get('/metrics')).text;
      const total = [...text.matchAll(/^ci_relay_webhooks_total\{[^}]*\} (\d+)$/gm)].reduce(
        (sum, m) => sum + Number(m[1]),
        0,
      );
      assert.equal(
        total,
        6,
        text
          .split('\n')
          .filter((l) => l.startsWith('ci_relay_webhooks_total'))
          .join('\n'),
      );
    }

    const [first] = childrenOf(pid);
    process.kill(first as number, 'SIGKILL');
    await waitFor(() => childrenOf(pid).length === 2 && !childrenOf(pid).includes(first as number), 90_000);
    await waitFor(
      async () =>
        (
          await request(url)
            .get('/readyz')
            .catch(() => ({ status: 0 }))
        ).status === 200,
      90_000,
    );

    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
    assert.deepEqual(childrenOf(pid), []);
  });
});

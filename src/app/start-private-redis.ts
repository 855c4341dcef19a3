import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { Redis } from 'ioredis';

/** Redis is needed and none can be had; the message says what to do. */
export class RedisUnavailableError extends Error {
  override name = 'RedisUnavailableError';
}

/** A redis-server this process started, or found already running in the data folder. */
export interface PrivateRedis {
  url: string;
  stop(): Promise<void>;
}

async function answers(path: string): Promise<boolean> {
  const probe = new Redis({ path, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  probe.on('error', () => undefined);
  try {
    await probe.connect();
    return (await probe.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
}

/**
 * Starts `redis-server` with its data under `dir` (append-only file on, so a restart loses nothing),
 * listening on a unix socket there rather than a TCP port that might be taken. A server already
 * answering on that socket (another relay on the same folder) is used as it is.
 */
export async function startPrivateRedis(dir = '.data'): Promise<PrivateRedis> {
  const dataDir = resolve(dir);
  const socket = resolve(dataDir, 'redis.sock');
  mkdirSync(dataDir, { recursive: true });
  if (await answers(socket)) return { url: `unix://${socket}`, stop: async () => undefined };
  if (spawnSync('redis-server', ['--version']).error) {
    throw new RedisUnavailableError(
      '[relay] REDIS_URL is not set and redis-server is not installed: install Redis (Debian/Ubuntu: apt-get install redis-server; macOS: brew install redis) or set REDIS_URL=redis://host:6379',
    );
  }
  const child: ChildProcess = spawn(
    'redis-server',
    [
      '--port',
      '0',
      '--unixsocket',
      socket,
      '--unixsocketperm',
      '700',
      '--dir',
      dataDir,
      '--appendonly',
      'yes',
      '--appendfsync',
      'everysec',
      '--save',
      '',
      '--logfile',
      resolve(dataDir, 'redis.log'),
    ],
    { stdio: 'ignore' },
  );
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) break;
    if (await answers(socket)) {
      return {
        url: `unix://${socket}`,
        stop: async () => {
          child.kill('SIGTERM');
          await exited;
        },
      };
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new RedisUnavailableError(`[relay] redis-server did not start; see ${resolve(dataDir, 'redis.log')}`);
}

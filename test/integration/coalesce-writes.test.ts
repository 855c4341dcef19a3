import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { Redis } from 'ioredis';
import { coalesceWrites } from '../../src/redis/coalesce-writes';
import { startRedis, type TestRedis } from '../helpers/start-redis';
import { waitFor } from '../helpers/start-test-relay';

/** Counts the socket writes (system calls) ioredis's connection makes from now on. */
function countWrites(redis: Redis): { count: () => number } {
  const socket = (redis as unknown as { stream: Socket & { _writev?: unknown } }).stream;
  let count = 0;
  const write = socket._write.bind(socket);
  socket._write = (...args: Parameters<Socket['_write']>) => {
    count++;
    write(...args);
  };
  const writev = (socket as unknown as { _writev: (...a: unknown[]) => void })._writev.bind(socket);
  (socket as unknown as { _writev: (...a: unknown[]) => void })._writev = (...args: unknown[]) => {
    count++;
    writev(...args);
  };
  return { count: () => count };
}

describe('coalesceWrites (real Redis)', () => {
  let redis: TestRedis;
  let client: Redis;
  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    await redis.stop();
  });
  afterEach(() => client.disconnect());

  it('sends the commands of one tick in one socket write, and every answer comes back', async () => {
    client = coalesceWrites(new Redis(redis.url));
    await client.ping();
    const writes = countWrites(client);
    const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => client.set(`k${i}`, String(i))));
    assert.equal(writes.count(), 1);
    assert.deepEqual(new Set(answers), new Set(['OK']));
    assert.deepEqual(await client.mget('k0', 'k49'), ['0', '49']);
  });

  it('keeps doing so on the connection made after a reconnect', async () => {
    client = coalesceWrites(new Redis(redis.url, { retryStrategy: () => 10 }));
    await client.ping();
    const id = await client.client('ID');
    const killer = new Redis(redis.url);
    await killer.client('KILL', 'ID', String(id));
    killer.disconnect();
    await waitFor(async () => (await client.ping().catch(() => 'down')) === 'PONG');
    const writes = countWrites(client);
    await Promise.all(Array.from({ length: 20 }, () => client.incr('n')));
    assert.equal(writes.count(), 1);
  });
});

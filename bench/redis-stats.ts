/** Redis-side figures: commands run (INFO commandstats, Lua-internal calls included) and memory. */
import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';

/** Total calls of every command so far, from INFO commandstats (calls made by scripts count too). */
export async function redisCommandCalls(url: string): Promise<number> {
  const redis = new Redis(url);
  try {
    const text = await redis.info('commandstats');
    let total = 0;
    for (const match of text.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
      // The benchmark's own INFO calls are not the relay's work.
      if (match[1] !== 'info') total += Number(match[2]);
    }
    return total;
  } finally {
    redis.disconnect();
  }
}

/** Bytes Redis uses for data (INFO memory used_memory). */
export async function redisUsedMemory(url: string): Promise<number> {
  const redis = new Redis(url);
  try {
    return Number(/^used_memory:(\d+)/m.exec(await redis.info('memory'))?.[1] ?? 0);
  } finally {
    redis.disconnect();
  }
}

/** Resident set size of a process in MB (Linux /proc), or undefined. */
export function rssMb(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb === undefined ? undefined : Math.round(Number(kb) / 1024);
  } catch {
    return undefined;
  }
}

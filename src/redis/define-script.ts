import type { Redis } from 'ioredis';

/** A Lua script on `redis`, called by its SHA (EVALSHA, falling back to EVAL once per connection). */
export type RedisScript = (keys: readonly string[], args: ReadonlyArray<string | number>) => Promise<unknown>;

/**
 * Registers `lua` (taking `numberOfKeys` keys) as a command of `redis` under `name`. `undefined`: the key
 * count varies, and the call passes it as its first key argument.
 */
export function defineScript(
  redis: Redis,
  name: string,
  numberOfKeys: number | undefined,
  lua: string,
): RedisScript {
  if (!(name in redis))
    redis.defineCommand(name, numberOfKeys === undefined ? { lua } : { numberOfKeys, lua });
  const command = (redis as unknown as Record<string, (...args: Array<string | number>) => Promise<unknown>>)[
    name
  ];
  if (!command) throw new Error(`[redis] script ${name} was not defined`);
  return (keys, args) => command.call(redis, ...keys, ...args);
}

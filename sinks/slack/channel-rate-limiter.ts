import { defineScript } from '../../src/redis/define-script';
import type { Redis } from 'ioredis';
import { isCluster, sinkPacerPrefix } from '../../src/redis/keyspace';

/** Spaces one sink's Web API calls to each channel, across every worker and process that shares its Redis. */
export interface ChannelRateLimiter {
  /**
   * Takes the next free turn of `channel` (an id, or a name whose id was {@link learn}ed) if it is at
   * most `maxWaitMs` away. `waitMs` is how long to wait before the call; when `reserved` is false,
   * nothing was taken and `waitMs` is how far away the next turn is.
   */
  reserve(channel: string, maxWaitMs: number): Promise<{ waitMs: number; reserved: boolean }>;
  /**
   * Records that Slack answered channel name `name` (`#ci`) with channel id `id`; a turn taken under the
   * name before the id was known counts for the id.
   */
  learn(name: string, id: string): Promise<void>;
}

/** Options of {@link createChannelRateLimiter}. */
export interface ChannelRateLimiterOptions {
  redis: Redis;
  /** The sink's key prefix, e.g. `ci-relay:sink:team-slack`. */
  keyPrefix: string;
  /** Calls per second per channel. */
  perSecond: number;
}

// A token bucket of one (GCRA): the key holds when the channel's next call may go, on Redis's clock so
// that every worker agrees, and expires then. A reservation moves that time on by one interval; a caller
// that would wait longer than it is willing to takes nothing, so it holds back no one.
// KEYS: the channel's key; ARGV: interval ms, longest wait ms. Returns {wait ms, 1 if reserved}.
const reserveScript = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local interval = tonumber(ARGV[1])
local free = math.max(tonumber(redis.call('GET', KEYS[1]) or '0'), now)
local wait = free - now
if wait > tonumber(ARGV[2]) then return {wait, 0} end
redis.call('SET', KEYS[1], string.format('%d', free + interval), 'PX', wait + interval)
return {wait, 1}
`;

// KEYS: the name's key, the id's key, the names-to-ids hash; ARGV: name, id, the hash's TTL in seconds.
const learnScript = `
redis.call('HSET', KEYS[3], ARGV[1], ARGV[2])
redis.call('EXPIRE', KEYS[3], ARGV[3])
local free = redis.call('GET', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if free and ttl > 0 and tonumber(free) > tonumber(redis.call('GET', KEYS[2]) or '0') then
  redis.call('SET', KEYS[2], free, 'PX', ttl)
end
return 1
`;

// Channel ids start with C (public), G (private) or D (direct message); names are lower case.
const isChannelId = (channel: string) => /^[CGD][A-Z0-9]{2,}$/.test(channel);

/** Per-channel pacing in Redis: one key per channel, `<keyPrefix>:rate:<channelId>`, gone once idle. */
export function createChannelRateLimiter(options: ChannelRateLimiterOptions): ChannelRateLimiter {
  const { redis, perSecond } = options;
  // The learn script touches a name's key, an id's key and the ids hash: one slot on a cluster.
  const keyPrefix = sinkPacerPrefix(options.keyPrefix, isCluster(redis));
  const intervalMs = Math.max(1, Math.ceil(1000 / perSecond));
  const reserve = defineScript(redis, 'ciRelaySlackReserveTurn', 1, reserveScript);
  const learn = defineScript(redis, 'ciRelaySlackLearnChannelId', 3, learnScript);
  const keyOf = (channel: string) => `${keyPrefix}:rate:${channel}`;

  // Posts name the channel as configured (`#ci`), updates and replies the id Slack answered with: both
  // must count under the id. Names are resolved from what earlier posts answered (kept 30 days).
  const idsKey = `${keyPrefix}:channel-ids`;
  const ids = new Map<string, string>();
  const idOf = async (channel: string): Promise<string> => {
    if (isChannelId(channel)) return channel;
    let id = ids.get(channel);
    if (id === undefined) {
      id = (await redis.hget(idsKey, channel)) ?? undefined;
      if (id !== undefined) ids.set(channel, id);
    }
    return id ?? channel;
  };

  return {
    async reserve(channel, maxWaitMs) {
      const answer = await reserve([keyOf(await idOf(channel))], [intervalMs, Math.floor(maxWaitMs)]);
      const [waitMs, reserved] = answer as [number, number];
      return { waitMs, reserved: reserved === 1 };
    },
    async learn(name, id) {
      if (name === id || ids.get(name) === id) return;
      ids.set(name, id);
      await learn([keyOf(name), keyOf(id), idsKey], [name, id, 30 * 24 * 3600]);
    },
  };
}

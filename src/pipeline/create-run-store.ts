import type { Redis } from 'ioredis';
import type { CiEvent } from '../event/ci-event-schema';
import { latestJobsByName, stateRank } from '../event/latest-jobs';

/** See {@link stateRank} in `src/event/latest-jobs.ts` (re-exported where it was first defined). */
export { stateRank };
import type { RunSnapshot, RunSnapshots } from '../contracts/sink';
import { defineScript } from '../redis/define-script';
import { runKey } from '../event/run-identity';

// Keeps the newer of two states of one field (the pipeline, or one job): a higher attempt wins, then a
// later stage of life (queued < running < finished), then the later arrival. Events can arrive out of
// order (queues, retries, several workers); a late "running" must not undo "failed".
const recordScript = `
local current = tonumber(redis.call('HGET', KEYS[1], 'rank:' .. ARGV[1]) or '-1')
local rank = tonumber(ARGV[3])
if rank >= current then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2], 'rank:' .. ARGV[1], ARGV[3])
end
local version = redis.call('HINCRBY', KEYS[1], 'version', 1)
redis.call('EXPIRE', KEYS[1], ARGV[4])
return version
`;

/** Records events into per-run snapshots and reads them back. */
export interface RunStore extends RunSnapshots {
  /** Records `event` in its run's snapshot; resolves to the snapshot's new version. */
  record(event: CiEvent): Promise<number>;
}

/**
 * Run snapshots in Redis hashes, one per (source, repository, pipeline id), kept `ttlSeconds()` after the
 * last event. Each job id is stored on its own; a snapshot lists one job per name (its latest state).
 * The router passes `retention.days`: a snapshot holds each job's event a second time, and with a fixed
 * week it outlived a shorter retention (the soak measured about 1.3 KB per one-job run).
 */
export function createRunStore(deps: {
  redis: Redis;
  prefix: string;
  /** Read on every write, so a reloaded retention applies at once. @defaultValue 7 days */
  ttlSeconds?: () => number;
}): RunStore {
  const { redis, prefix, ttlSeconds = () => 7 * 24 * 3600 } = deps;
  const recordState = defineScript(redis, 'ciRelayRecordRunState', 1, recordScript);
  const keyOf = (event: CiEvent) => `${prefix}:run:${runKey(event)}`;
  return {
    async record(event) {
      const field = event.kind === 'pipeline' ? 'pipeline' : `job:${event.job?.id ?? ''}`;
      const version = await recordState(
        [keyOf(event)],
        [field, JSON.stringify(event), stateRank(event), ttlSeconds()],
      );
      return Number(version);
    },
    async get(event): Promise<RunSnapshot> {
      const hash = await redis.hgetall(keyOf(event));
      const jobs: CiEvent[] = [];
      let pipeline: CiEvent | undefined;
      for (const [field, value] of Object.entries(hash)) {
        if (field === 'pipeline') pipeline = JSON.parse(value) as CiEvent;
        else if (field.startsWith('job:')) jobs.push(JSON.parse(value) as CiEvent);
      }
      return { version: Number(hash.version ?? 0), pipeline, jobs: latestJobsByName(jobs) };
    },
  };
}

import type { Redis } from 'ioredis';
import type { CiEvent } from '../../src/event/ci-event-schema';
import { failingStatuses } from '../../src/event/failing-statuses';
import { seriesKey } from '../../src/event/run-identity';

/** The run that started each series' failing streak, so the streak's mails (and its fix) share one thread. */
export interface FailureStreaks {
  /** The run whose thread `event`'s mail joins: the streak's first failing run, or `event` itself. */
  threadOf(event: CiEvent): Promise<CiEvent>;
  /** After a mail about `event` was sent: a failure opens the streak (if none is open), a pass closes it. */
  sent(event: CiEvent): Promise<void>;
}

/** {@link FailureStreaks} in Redis, one key per series under `keyPrefix`, kept `ttlSeconds`. */
export function createFailureStreaks(deps: {
  redis: Redis;
  keyPrefix: string;
  /** @defaultValue 30 days */
  ttlSeconds?: number;
}): FailureStreaks {
  const { redis, keyPrefix, ttlSeconds = 30 * 24 * 3600 } = deps;
  const keyOf = (event: CiEvent) => `${keyPrefix}:streak:${seriesKey(event)}`;
  return {
    async threadOf(event) {
      if (event.kind !== 'pipeline') return event;
      const json = await redis.get(keyOf(event));
      return json === null ? event : (JSON.parse(json) as CiEvent);
    },
    async sent(event) {
      if (event.kind !== 'pipeline') return;
      if (failingStatuses.has(event.status)) {
        // Only what threading needs: source, repository, pipeline (id, name, number), createdAt.
        const { source, repository, pipeline, createdAt, startedAt, receivedAt } = event;
        const streak = { source, repository, pipeline, createdAt, startedAt, receivedAt };
        await redis.set(keyOf(event), JSON.stringify(streak), 'EX', ttlSeconds, 'NX');
      } else if (event.status === 'success') await redis.del(keyOf(event));
    },
  };
}

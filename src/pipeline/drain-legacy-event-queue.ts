import { Queue, type JobType } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { CiEvent } from '../event/ci-event-schema';
import { createStreamAppender, type EventStreamKeys } from './event-stream';

/** The states a job of the old event queue can wait in; `active` ones belonged to a router now gone. */
const legacyStates: JobType[] = ['wait', 'paused', 'prioritized', 'delayed', 'active'];

/**
 * Upgrading from a version whose event queues were BullMQ queues: moves the events still waiting in the
 * BullMQ queue of the same name into the event stream, so none is left behind. It runs once per router
 * start and costs one count when the old queue is empty. Each event is appended with a deduplication id
 * of its old job, so two routers draining at once append it once; the old job is then removed. A job
 * still locked by a router of the old version (its lock not yet expired) is left for the next start,
 * and said so.
 *
 * @returns how many events were moved.
 */
export async function drainLegacyEventQueue(deps: {
  redis: Redis;
  prefix: string;
  queueName: string;
  keys: EventStreamKeys;
  log: Logger;
}): Promise<number> {
  const { redis, prefix, queueName, keys, log } = deps;
  const queue = new Queue<CiEvent>(queueName, { connection: redis, prefix });
  queue.on('error', () => undefined);
  try {
    if ((await queue.getJobCountByTypes(...legacyStates)) === 0) return 0;
    const append = createStreamAppender(redis);
    let moved = 0;
    let locked = 0;
    for (;;) {
      const jobs = (await queue.getJobs(legacyStates, locked, locked + 99, true)).filter((j) => j?.data);
      if (jobs.length === 0) break;
      await append(
        keys,
        jobs.map((job) => ({ id: job.data.id, json: JSON.stringify(job.data), dedupId: `legacy-${job.id}` })),
        24 * 3600 * 1000,
      );
      for (const job of jobs) {
        try {
          await job.remove();
          moved++;
        } catch {
          locked++; // Appended already; the old job stays until its lock expires (dedup keeps it single).
        }
      }
    }
    log.info(
      { queue: queueName, moved, locked },
      `[router] moved ${moved} event(s) from the old BullMQ event queue "${queueName}" into its stream` +
        (locked > 0 ? `; ${locked} still locked by an old router, moved on the next start` : ''),
    );
    return moved;
  } finally {
    await queue.close();
  }
}

import type { Cluster, Redis } from 'ioredis';
import { recordKeys } from '../../src/store/record-keys';

/**
 * How many deliveries to `sink` have finished (sent, skipped by the sink, or dead-lettered), read from
 * the relay's delivery records: sent delivery jobs are removed from their queue at once, so the queue's
 * own counts no longer say it. `recordPrefix` is the relay's prefix, braced on a cluster.
 */
export async function finishedDeliveries(
  redis: Redis | Cluster,
  recordPrefix: string,
  sink: string,
): Promise<number> {
  const keys = recordKeys(recordPrefix);
  const counts = await Promise.all(
    (['sent', 'skipped', 'failed'] as const).map((state) =>
      redis.zintercard(2, keys.deliveriesBy('sink', sink), keys.deliveriesBy('state', state)),
    ),
  );
  return counts.reduce((a, b) => a + b, 0);
}

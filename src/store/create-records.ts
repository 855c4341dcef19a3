import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { RetentionSettings } from '../config/relay-config';
import { createActivityFeed, type ActivityFeed } from './create-activity-feed';
import { createAuditLog, type AuditLog } from './create-audit-log';
import { createDeliveryStore, type DeliveryStore } from './create-delivery-store';
import { createEventStore, type EventStore } from './create-event-store';
import { createRetentionTrimmer, type RetentionTrimmer } from './create-retention-trimmer';
import { createRunBoard, type RunBoard } from './create-run-board';

/** Everything the relay records for the API: events, deliveries, the run board, the stream, the audit log. */
export interface Records {
  events: EventStore;
  deliveries: DeliveryStore;
  board: RunBoard;
  audit: AuditLog;
  feed: ActivityFeed;
  trimmer: RetentionTrimmer;
  close(): Promise<void>;
}

/** Creates the record stores on one (non-blocking) Redis connection; the feed opens one more while followed. */
export function createRecords(deps: {
  redis: Redis;
  prefix: string;
  retention: () => RetentionSettings;
  log: Logger;
  now?: () => number;
  /** How often the trimmer runs once started. @defaultValue 10000 */
  trimIntervalMs?: number;
}): Records {
  const { redis, prefix, retention, log } = deps;
  const now = deps.now ?? Date.now;
  const feed = createActivityFeed({ redis, prefix, log });
  const trimmer = createRetentionTrimmer({
    redis,
    prefix,
    retention,
    log,
    now,
    ...(deps.trimIntervalMs !== undefined && { intervalMs: deps.trimIntervalMs }),
  });
  return {
    events: createEventStore({ redis, prefix, retention }),
    deliveries: createDeliveryStore({ redis, prefix, retention, now }),
    board: createRunBoard({ redis, prefix }),
    audit: createAuditLog({ redis, prefix, log, now }),
    feed,
    trimmer,
    async close() {
      await trimmer.close();
      await feed.close();
    },
  };
}

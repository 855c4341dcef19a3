import type { Redis } from 'ioredis';
import { Type, type Static } from '@sinclair/typebox';
import type { Logger } from 'pino';
import { stringEnum } from '../event/string-enum';
import { scanBudget, type Page } from './collect-page';
import { recordKeys } from './record-keys';
import type { TimeRange } from './read-newest-first';

/** What the audit log records. */
export const auditActions = [
  'delivery.retry',
  'replay',
  'silence.create',
  'silence.expire',
  'config.reload',
] as const;
/** One audited action. */
export type AuditAction = (typeof auditActions)[number];

/** One audit record: who did what, to what, when. */
export const auditEntrySchema = Type.Object(
  {
    id: Type.String({ description: 'position in the audit log' }),
    at: Type.String({ format: 'date-time' }),
    who: Type.String({ description: 'API key id, `oauth:<subject>`, or `config` for reloads' }),
    action: stringEnum(auditActions),
    target: Type.Optional(
      Type.String({ description: 'what it acted on: a delivery id, a silence id, a file' }),
    ),
    details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  },
  { additionalProperties: false, $id: 'https://ci-relay.dev/schemas/audit-entry.json', title: 'AuditEntry' },
);
/** One audit record. */
export type AuditEntry = Static<typeof auditEntrySchema>;

/** A filter on the audit log. */
export interface AuditFilter extends TimeRange {
  action?: readonly string[] | undefined;
  who?: readonly string[] | undefined;
}

/** The audit log: a Redis stream shared by every instance, and one `info` line per record. */
export interface AuditLog {
  record(entry: Omit<AuditEntry, 'id' | 'at'>): Promise<void>;
  /** Newest first; `cursor` is the `id` of the last record of the previous page. */
  list(filter: AuditFilter, page: { limit: number; cursor?: string | undefined }): Promise<Page<AuditEntry>>;
}

/** Creates the audit log; records are trimmed with the other records (retention). */
export function createAuditLog(deps: {
  redis: Redis;
  prefix: string;
  log: Logger;
  now?: () => number;
}): AuditLog {
  const { redis, prefix, log, now = Date.now } = deps;
  const key = recordKeys(prefix).audit;
  return {
    async record(entry) {
      const at = new Date(now()).toISOString();
      log.info(
        { audit: entry.action, who: entry.who, target: entry.target, ...entry.details },
        `[audit] ${entry.who}: ${entry.action}${entry.target ? ` ${entry.target}` : ''}`,
      );
      await redis.xadd(key, 'MAXLEN', '~', 100_000, '*', 'd', JSON.stringify({ ...entry, at }));
    },
    async list(filter, page) {
      const items: AuditEntry[] = [];
      let end = page.cursor ? `(${page.cursor}` : filter.until !== undefined ? String(filter.until) : '+';
      const start = filter.since !== undefined ? String(filter.since) : '-';
      for (let scanned = 0; scanned < scanBudget;) {
        const batch = await redis.xrevrange(key, end, start, 'COUNT', 200);
        for (const [id, fields] of batch) {
          scanned++;
          const entry = { id, ...(JSON.parse(fields[1] ?? '{}') as Omit<AuditEntry, 'id'>) };
          if (filter.action && !filter.action.includes(entry.action)) continue;
          if (filter.who && !filter.who.includes(entry.who)) continue;
          items.push(entry);
          if (items.length === page.limit) return { items, nextCursor: id };
        }
        const last = batch.at(-1);
        if (batch.length < 200 || !last) return { items };
        end = `(${last[0]}`;
      }
      return { items, ...(items.length > 0 && { nextCursor: (items.at(-1) as AuditEntry).id }) };
    },
  };
}

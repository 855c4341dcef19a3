import type { RequestHandler, Response } from 'express';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { ConfigStore } from '../config/config-store';
import type { DeliveryQueues } from '../pipeline/delivery-queues';
import type { Records } from '../store/create-records';

import type { ApiScope } from '../config/api-config-schema';

/** What the `/v1` handlers need. */
export interface ApiDeps {
  configStore: ConfigStore;
  records: Records;
  queues: DeliveryQueues;
  /** Non-blocking connection for dedup and run-state reads. */
  redis: Redis;
  prefix: string;
  log: Logger;
  /**
   * Authenticates and authorizes a request for `scope`; answers 401/403/429 itself, and 404 while the
   * config has no `api` section. Sets `res.locals.principal`.
   */
  authorize: (scope: ApiScope) => RequestHandler;
  /** @defaultValue `Date.now` */
  now?: () => number;
}

/** Who made an authorized request, as the audit log names them: an API key id or `oauth:<subject>`. */
export function principalOf(res: Response): string {
  const principal = (res.locals as { principal?: { id?: unknown } }).principal;
  return typeof principal?.id === 'string' ? principal.id : 'unknown';
}

/** The `:id` of a request's path. */
export function pathId(req: { params: Record<string, string | string[] | undefined> }): string {
  const id = req.params.id;
  return Array.isArray(id) ? id.join('/') : (id ?? '');
}

import type { ApiScope } from '../config/api-config-schema';

/** Who made an authorized `/v1` request: `res.locals.principal`. */
export interface ApiPrincipal {
  /** The key's id, or `oauth:<sub>` for a token; the audit log's "who". */
  id: string;
  kind: 'key' | 'oauth';
  scopes: ReadonlySet<ApiScope>;
}

import type { RequestHandler } from 'express';
import type { ConfigStore } from '../config/config-store';
import type { RelayMetrics } from '../metrics/create-metrics';
import { sendJson } from './send-json';

/**
 * Looks at a webhook's headers before a byte of its body is read: an unknown source (404) or a declared
 * `Content-Length` over the limit (413) is answered at once with `Connection: close`, so the body is
 * never buffered and the connection not kept to drain it. A request that passes gets its
 * `100 Continue` here, when it asked for one.
 */
export function createWebhookGate(deps: { configStore: ConfigStore; metrics: RelayMetrics }): RequestHandler {
  const { configStore, metrics } = deps;
  return (req, res, next) => {
    const config = configStore.current();
    const sourceId = String(req.params.sourceId);
    const known = config.sources.has(sourceId);
    const refuse = (status: number, code: string, message: string, outcome: string) => {
      metrics.webhooks.inc({ source: known ? sourceId : '(unknown)', outcome });
      sendJson(res, status, { error: { code, message } }, { connection: 'close' });
    };
    if (!known) {
      const shown = sourceId.length > 100 ? `${sourceId.slice(0, 99)}…` : sourceId;
      refuse(404, 'unknown_source', `no source "${shown}" is configured`, 'unknown_source');
      return;
    }
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > config.bodyLimitBytes) {
      const message = `body is larger than ${config.bodyLimitBytes} bytes`;
      refuse(413, 'payload_too_large', message, 'payload_too_large');
      return;
    }
    if (/100-continue/i.test(req.headers.expect ?? '')) res.writeContinue();
    next();
  };
}

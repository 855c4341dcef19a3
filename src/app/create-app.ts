import express, { type ErrorRequestHandler } from 'express';
import type { Logger } from 'pino';
import type { ConfigStore } from '../config/config-store';
import type { RelayMetrics } from '../metrics/create-metrics';
import { createMetricsText } from '../metrics/cluster-metrics';
import type { EnqueueEvents } from '../pipeline/enqueue-events';
import type { SourceRateLimit } from '../receiver/create-source-rate-limit';
import { createRawBodyReader } from '../receiver/create-raw-body-reader';
import { createWebhookGate } from '../receiver/create-webhook-gate';
import { createDashboard } from '../dashboard/create-dashboard';
import { createWebhookHandler } from '../receiver/create-webhook-handler';

/** Dependencies of {@link createApp}. */
export interface AppDeps {
  configStore: ConfigStore;
  log: Logger;
  metrics: RelayMetrics;
  /** Resolves true when Redis answers; false or a reason (the /readyz message) when not. */
  isReady: () => Promise<boolean | string>;
  /** Why the relay is not ready, for `/readyz`'s answer. @defaultValue "Redis is not reachable" */
  notReadyReason?: () => string | undefined;
  /** Warnings the operator should act on (a published secret in use, ...), shown by `/readyz`. */
  warnings?: () => readonly string[];
  /** Present when this process receives webhooks (`--role receiver` or `all`). */
  enqueue?: EnqueueEvents;
  /** The `/v1` API router. */
  api?: express.Router;
  /** @defaultValue `Date.now` */
  now?: () => number;
  /** Per-source webhook rate limits (`sources[].rateLimit`). */
  sourceRateLimit?: SourceRateLimit;
}

const jsonError = (code: string, message: string) => ({ error: { code, message } });

/** The relay's HTTP surface: webhooks, health, readiness and metrics. */
export function createApp(deps: AppDeps): express.Express {
  const { configStore, log, metrics, isReady, enqueue } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  app.get('/healthz', (_req, res) => void res.json({ status: 'ok' }));
  app.get('/readyz', async (_req, res) => {
    const ready = await isReady().catch(() => false);
    const warnings = deps.warnings?.() ?? [];
    const extra = warnings.length > 0 ? { warnings } : {};
    if (ready === true) res.json({ status: 'ready', ...extra });
    else {
      const reason =
        (typeof ready === 'string' ? ready : undefined) ??
        deps.notReadyReason?.() ??
        'Redis is not reachable';
      res.status(503).json({ ...jsonError('not_ready', reason), ...extra });
    }
  });
  const metricsText = createMetricsText(metrics.registry);
  app.get('/metrics', async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metricsText());
  });

  if (deps.api) app.use('/v1', deps.api);

  if (enqueue) {
    // The raw bytes are what was signed: no JSON parser runs before verification.
    const raw = createRawBodyReader(() => configStore.current().bodyLimitBytes);
    const handler = createWebhookHandler({
      configStore,
      enqueue,
      log: log.child({ component: 'receiver' }),
      metrics,
      ...(deps.now && { now: deps.now }),
      ...(deps.sourceRateLimit && { sourceRateLimit: deps.sourceRateLimit }),
    });
    app.post('/hooks/:sourceId', createWebhookGate({ configStore, metrics }), raw, handler);
    app.all('/hooks/:sourceId', (_req, res) => {
      res.status(405).set('allow', 'POST').json(jsonError('method_not_allowed', 'webhooks are POSTed'));
    });
  }

  app.use(createDashboard());

  app.use((_req, res) => void res.status(404).json(jsonError('not_found', 'no such endpoint')));
  const onError: ErrorRequestHandler = (
    err: { type?: string; status?: number; message?: string },
    req,
    res,
    _next,
  ) => {
    const sourceId = /^\/hooks\/([^/]+)/.exec(req.path)?.[1];
    if (err.type === 'entity.too.large') {
      metrics.webhooks.inc({
        source: sourceId && configStore.current().sources.has(sourceId) ? sourceId : '(unknown)',
        outcome: 'payload_too_large',
      });
      res
        .set('connection', 'close')
        .status(413)
        .json(
          jsonError('payload_too_large', `body is larger than ${configStore.current().bodyLimitBytes} bytes`),
        );
      return;
    }
    if (typeof err.status === 'number' && err.status >= 400 && err.status < 500) {
      res.status(err.status).json(jsonError('bad_request', 'the request could not be read'));
      return;
    }
    log.error({ err, path: req.path }, '[http] unexpected error');
    res.status(500).json(jsonError('internal', 'internal error'));
  };
  app.use(onError);
  return app;
}

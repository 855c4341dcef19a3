import assert from 'node:assert/strict';
import express from 'express';
import request from 'supertest';
import { parseConfig } from '../../src/config/load-config';
import type { ConfigStore } from '../../src/config/config-store';
import { createLogger } from '../../src/log/create-logger';
import { createMetrics } from '../../src/metrics/create-metrics';
import { providers } from '../../src/providers';
import { createWebhookHandler } from '../../src/receiver/create-webhook-handler';
import { githubSignature } from '../helpers/sign';

describe('webhook handler: a normalizer that throws something unexpected', () => {
  it('refuses the payload with 400 invalid_event and logs the bug, never a 500', async () => {
    const config = parseConfig(
      `version: 1
sources: [{ id: github, provider: github, secrets: [s3cret] }]
sinks: [{ id: a, type: http, url: "http://127.0.0.1:1/" }]
routes: [{ name: all, sinks: [a] }]
`,
      'relay.yaml',
      {},
    );
    const configStore: ConfigStore = {
      current: () => config,
      reload: () => true,
      onChange: () => undefined,
      close: () => undefined,
    };
    const lines: string[] = [];
    const log = createLogger('info', { write: (line: string) => void lines.push(line) });
    const crashing = {
      ...providers,
      github: {
        ...providers.github,
        normalize: () => {
          throw new RangeError('Invalid time value');
        },
      },
    };
    const handler = createWebhookHandler({
      configStore,
      enqueue: () => assert.fail('nothing is enqueued'),
      log,
      metrics: createMetrics(false),
      providers: crashing,
    });
    const app = express();
    app.post('/hooks/:sourceId', express.raw({ type: () => true }), handler);
    const body = '{"action":"completed"}';
    const res = await request(app)
      .post('/hooks/github')
      .set('content-type', 'application/json')
      .set('x-github-event', 'workflow_run')
      .set('x-github-delivery', 'd-1')
      .set('x-hub-signature-256', githubSignature('s3cret', body))
      .send(body);
    assert.equal(res.status, 400);
    assert.deepEqual(res.body, {
      error: { code: 'invalid_event', message: 'the payload holds a value the relay cannot use' },
    });
    assert.ok(lines.some((l) => l.includes('"level":50') && l.includes('Invalid time value')));
  });
});

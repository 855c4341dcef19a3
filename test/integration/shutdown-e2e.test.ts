import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { githubSignature } from '../helpers/sign';
import { startCaptureServer } from '../helpers/start-capture-server';
import { freePort, startRedis } from '../helpers/start-redis';
import { startRelayProcess } from '../helpers/start-relay-process';
import { startTestRelay, waitFor } from '../helpers/start-test-relay';

const secret = 'shutdown-e2e-secret';
const gracePeriodMs = 2000;

function runBody(runId: number): string {
  const payload = JSON.parse(
    readFileSync(join(__dirname, '../fixtures/github/workflow_run.completed.failure.json'), 'utf8'),
  ) as { workflow_run: { id: number } };
  payload.workflow_run.id = runId;
  return JSON.stringify(payload);
}

/** POSTs one signed webhook over a keep-alive agent; resolves with the status and the accepted event ids. */
function post(agent: Agent, baseUrl: string, runId: number): Promise<{ status: number; events: string[] }> {
  const body = runBody(runId);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      `${baseUrl}/hooks/github`,
      {
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          'x-github-event': 'workflow_run',
          'x-github-delivery': randomUUID(),
          'x-hub-signature-256': githubSignature(secret, body),
        },
      },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString('utf8')));
        res.on('end', () => {
          const parsed = (text ? JSON.parse(text) : {}) as { events?: string[] };
          resolve({
            status: res.statusCode ?? 0,
            events: res.statusCode === 202 ? (parsed.events ?? []) : [],
          });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('SIGTERM under keep-alive load (real process, real Redis)', function () {
  this.timeout(90_000);

  it('exits within the grace period, and every accepted event is delivered after a restart', async () => {
    const redis = await startRedis();
    // A slow receiver, so deliveries are still queued and in flight when the signal comes.
    const sink = await startCaptureServer(
      (_req, res) => void setTimeout(() => res.writeHead(200).end(), 150),
    );
    const configYaml = `version: 1
sources: [{ id: github, provider: github, secrets: ["${secret}"] }]
sinks: [{ id: a, type: http, url: "${sink.url}", retry: { attempts: 20, initialDelayMs: 50, maxDelayMs: 300 } }]
routes: [{ name: all, sinks: [a] }]
`;
    const relay = await startRelayProcess({
      configYaml,
      port: await freePort(),
      env: { REDIS_URL: redis.url, SHUTDOWN_GRACE_MS: String(gracePeriodMs) },
    });
    const accepted: string[] = [];
    let signalledAt = 0;
    let deliveredAtExit = 0;
    try {
      const agent = new Agent({ keepAlive: true, maxSockets: 6 });
      let runId = 5000;
      // Clients that keep their connections busy for as long as the relay answers.
      const client = async () => {
        for (;;) {
          try {
            const answer = await post(agent, relay.url, runId++);
            if (answer.status === 202) accepted.push(...answer.events);
          } catch {
            if (signalledAt > 0) return; // connection closed or refused: the relay has stopped
          }
          if (signalledAt > 0 && Date.now() - signalledAt > gracePeriodMs + 5000) return;
        }
      };
      const clients = Array.from({ length: 6 }, client);
      await waitFor(() => accepted.length >= 40, 30_000);
      signalledAt = Date.now();
      relay.child.kill('SIGTERM');
      const code = await relay.exited;
      const took = Date.now() - signalledAt;
      await Promise.all(clients);
      agent.destroy();
      assert.equal(code, 0, relay.output().slice(-2000));
      deliveredAtExit = sink.requests.length;
      assert.ok(
        took < gracePeriodMs + 1500,
        `exited ${took} ms after SIGTERM (grace period ${gracePeriodMs} ms)`,
      );
    } finally {
      relay.child.kill('SIGKILL');
    }

    // Restarted (in this process, same Redis, the default key prefix): everything accepted goes out.
    const restarted = await startTestRelay({ configYaml, redisUrl: redis.url, prefix: 'ci-relay' });
    try {
      const delivered = () =>
        new Set(sink.requests.map((r) => (JSON.parse(r.body) as { data: { id: string } }).data.id));
      await waitFor(() => accepted.every((id) => delivered().has(id)), 40_000);
      const missing = accepted.filter((id) => !delivered().has(id));
      assert.deepEqual(missing, []);
      // A delivery cut off by the shutdown is repeated with its notification id, never under a new one.
      const idsPerEvent = new Map<string, Set<string>>();
      for (const r of sink.requests) {
        const eventId = (JSON.parse(r.body) as { data: { id: string } }).data.id;
        idsPerEvent.set(
          eventId,
          (idsPerEvent.get(eventId) ?? new Set()).add(String(r.headers['webhook-id'])),
        );
      }
      assert.ok([...idsPerEvent.values()].every((ids) => ids.size === 1));
      assert.ok(deliveredAtExit < accepted.length, 'some accepted events were still queued at exit');
    } finally {
      await restarted.close();
      await sink.close();
      await redis.stop();
    }
  });
});

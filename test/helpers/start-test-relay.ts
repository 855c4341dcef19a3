import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { startRelay, type RelayOptions, type Role, type RunningRelay } from '../../src/app/start-relay';
import { createLogger } from '../../src/log/create-logger';

/** A relay started in this process for one test, with its own key prefix and a captured log. */
export interface TestRelay extends RunningRelay {
  prefix: string;
  configFile: string;
  /** Every log line written so far (JSON text). */
  logLines: string[];
}

/** Writes `configYaml` to a temporary file and starts the relay on it, on a free port of 127.0.0.1. */
export async function startTestRelay(options: {
  configYaml: string;
  redisUrl: string;
  /** Seed nodes of a Redis Cluster; when given, `redisUrl` is not used. */
  redisClusterNodes?: RelayOptions['redisClusterNodes'];
  role?: Role;
  env?: NodeJS.ProcessEnv;
  sinkDeps?: RelayOptions['sinkDeps'];
  prefix?: string;
  trimIntervalMs?: number;
  apiAuth?: RelayOptions['apiAuth'];
  /** Any other option of startRelay (grace period, HTTP timeouts, ...). */
  more?: Partial<Omit<RelayOptions, 'configFile' | 'log'>>;
  now?: () => number;
}): Promise<TestRelay> {
  const dir = mkdtempSync(join(tmpdir(), 'ci-relay-test-'));
  const configFile = join(dir, 'relay.yaml');
  writeFileSync(configFile, options.configYaml);
  const logLines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logLines.push(chunk.toString('utf8'));
      done();
    },
  });
  const prefix = options.prefix ?? `test-${randomUUID()}`;
  const relay = await startRelay({
    configFile,
    role: options.role ?? 'all',
    redisUrl: options.redisUrl,
    ...(options.redisClusterNodes && { redisClusterNodes: options.redisClusterNodes }),
    port: 0,
    host: '127.0.0.1',
    prefix,
    log: createLogger('debug', sink),
    watchConfig: false,
    env: { ...process.env, ...options.env },
    ...(options.sinkDeps && { sinkDeps: options.sinkDeps }),
    ...(options.trimIntervalMs !== undefined && { trimIntervalMs: options.trimIntervalMs }),
    ...(options.apiAuth && { apiAuth: options.apiAuth }),
    ...options.more,
    ...(options.now && { now: options.now }),
  });
  return { ...relay, prefix, configFile, logLines };
}

/** Polls `condition` every 20 ms until it holds or `timeoutMs` passes. */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await condition()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`condition not met within ${timeoutMs} ms`);
}

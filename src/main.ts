#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { initEnv } from './cli/init-env';
import { packageRoot, packageVersion } from './cli/package-root';
import { routeTest } from './cli/route-test';
import { sendTest } from './cli/send-test';
import { ConfigError } from './config/config-error';
import type { RelayConfig } from './config/relay-config';
import { loadConfig, resolveConfigPath } from './config/load-config';
import { readEnv } from './config/read-env';
import { readPublishedSecrets } from './config/read-published-secrets';
import { RelayStartError } from './app/listen';
import { createLogger } from './log/create-logger';
import { RedisUnavailableError } from './app/start-private-redis';
import { startRelay, type Role } from './app/start-relay';

function portFrom(value: string | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new InvalidArgumentError(`PORT must be 0-65535, not "${value}"`);
  return port;
}

function millisFrom(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const ms = Number(value);
  if (!Number.isInteger(ms) || ms < 0)
    throw new InvalidArgumentError(`${name} must be milliseconds, not "${value}"`);
  return ms;
}

// A .env file in the working directory fills in variables the environment does not set. The environment
// as launched is kept, so a config reload can read .env again over it (as check-config does).
const launchEnv = { ...process.env };
Object.assign(process.env, readEnv(launchEnv));

const program = new Command('ci-relay')
  .description('Signed CI webhooks in, routed and deduplicated notifications out.')
  .version(packageVersion(), '-V, --version', 'print the version')
  .showHelpAfterError();

program
  .command('init')
  .description(
    'write .env from .env.example with fresh random secrets, and print how to point GitHub at the relay',
  )
  .option('-f, --force', 'replace an existing .env (its secrets are lost)')
  .action((opts: { force?: boolean }) => {
    const result = initEnv({
      example: join(packageRoot(), '.env.example'),
      target: '.env',
      force: opts.force === true,
      port: process.env.PORT,
    });
    for (const line of result.lines) console.log(line);
  });

program
  .command('start')
  .description('run the relay')
  .option('-c, --config <file>', 'config file (default: $RELAY_CONFIG, else config/relay.yaml)')
  .addOption(
    new Option('-r, --role <role>', 'what this process does')
      .choices(['all', 'receiver', 'worker'])
      .default('all'),
  )
  .action(async (opts: { config?: string; role: Role }) => {
    const log = createLogger();
    const configFile = resolveConfigPath(opts.config);
    try {
      const gracePeriodMs = millisFrom('SHUTDOWN_GRACE_MS', process.env.SHUTDOWN_GRACE_MS, 10_000);
      const relay = await startRelay({
        configFile,
        role: opts.role,
        redisUrl: process.env.REDIS_URL || undefined,
        port: portFrom(process.env.PORT, 8080),
        host: process.env.HOST || '0.0.0.0',
        log,
        env: () => readEnv(launchEnv),
        envFile: '.env',
        gracePeriodMs,
        tlsInFront: /^(1|true|yes)$/i.test(process.env.RELAY_BEHIND_TLS_PROXY ?? ''),
        publishedSecrets: readPublishedSecrets(join(packageRoot(), '.env.example')),
      });
      let stopping = false;
      const stop = (signal: string) => {
        if (stopping) {
          log.warn({ signal }, '[relay] second signal: stopping now, without waiting');
          process.exit(1);
        }
        stopping = true;
        log.info(
          { signal, gracePeriodMs },
          '[relay] shutting down: finishing in-flight work within the grace period',
        );
        relay.close().then(
          (finished) => {
            if (!finished)
              log.warn(
                '[relay] grace period over: unfinished work was cut off (accepted events stay in Redis)',
              );
            process.exit(0);
          },
          (err: unknown) => {
            log.error({ err }, '[relay] shutdown failed');
            process.exit(1);
          },
        );
      };
      process.on('SIGTERM', () => stop('SIGTERM'));
      process.on('SIGINT', () => stop('SIGINT'));
    } catch (e) {
      if (e instanceof ConfigError || e instanceof RedisUnavailableError || e instanceof RelayStartError) {
        console.error(e.message);
        process.exit(1);
      }
      throw e;
    }
  });

program
  .command('check-config')
  .description('validate a config file: exit 0 when valid, 1 with every error listed')
  .argument('[file]', 'config file (default: $RELAY_CONFIG, else config/relay.yaml)')
  .action((file: string | undefined) => {
    const path = resolveConfigPath(file);
    try {
      const config = loadConfig(path);
      console.log(
        `${path}: valid (${config.sources.size} sources, ${config.sinks.size} sinks, ${config.routes.length} routes)`,
      );
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      console.error(e.message);
      process.exitCode = 1;
    }
  });

program
  .command('route-test')
  .description('show which routes and sinks an event (a CiEvent JSON file) would go to')
  .argument('<event.json>', 'a CiEvent, or a CiEvent body without the relay-assigned fields')
  .option('-c, --config <file>', 'config file (default: $RELAY_CONFIG, else config/relay.yaml)')
  .action((file: string, opts: { config?: string }) => {
    const config = loadOrExit(resolveConfigPath(opts.config));
    for (const line of routeTest(config, JSON.parse(readFileSync(file, 'utf8')) as unknown))
      console.log(line);
  });

program
  .command('send-test')
  .description('send a sample notification through a configured sink, to check its credentials and target')
  .argument('<sinkId>', 'a sink id from the config')
  .option('-c, --config <file>', 'config file (default: $RELAY_CONFIG, else config/relay.yaml)')
  .action(async (sinkId: string, opts: { config?: string }) => {
    const config = loadOrExit(resolveConfigPath(opts.config));
    try {
      console.log(await sendTest(config, sinkId, createLogger(process.env.LOG_LEVEL ?? 'warn')));
    } catch (e) {
      console.error(e instanceof Error ? e.message : String(e));
      process.exitCode = 1;
    }
  });

function loadOrExit(path: string): RelayConfig {
  try {
    return loadConfig(path);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    console.error(e.message);
    process.exit(1);
  }
}

program.parseAsync().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});

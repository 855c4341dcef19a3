#!/usr/bin/env node
import { existsSync, readFileSync } from 'node:fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import { apiKeyLines, newApiKey, parseScopes } from './cli/api-key';
import { routeTest } from './cli/route-test';
import { sendTest } from './cli/send-test';
import { ConfigError } from './config/config-error';
import type { RelayConfig } from './config/relay-config';
import { loadConfig, resolveConfigPath } from './config/load-config';
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

// A .env file in the working directory fills in variables the environment does not set.
if (existsSync('.env')) process.loadEnvFile('.env');

const program = new Command('ci-relay')
  .description('Signed CI webhooks in, routed and deduplicated notifications out.')
  .showHelpAfterError();

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
      const relay = await startRelay({
        configFile,
        role: opts.role,
        redisUrl: process.env.REDIS_URL || undefined,
        port: portFrom(process.env.PORT, 8080),
        host: process.env.HOST || '0.0.0.0',
        log,
      });
      let stopping = false;
      const stop = (signal: string) => {
        if (stopping) return;
        stopping = true;
        log.info({ signal }, '[relay] shutting down: finishing in-flight work');
        relay.close().then(
          () => process.exit(0),
          (err: unknown) => {
            log.error({ err }, '[relay] shutdown failed');
            process.exit(1);
          },
        );
      };
      process.on('SIGTERM', () => stop('SIGTERM'));
      process.on('SIGINT', () => stop('SIGINT'));
    } catch (e) {
      if (e instanceof ConfigError || e instanceof RedisUnavailableError) {
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

program
  .command('api-key')
  .description(
    'print a new random API key (shown once) and the lines with its SHA-256 to paste under api.keys',
  )
  .option('--id <id>', 'the id shown in logs and the audit log (default: key-<random>)')
  .option('--scopes <list>', 'comma-separated scopes: read, write', 'read')
  .action((opts: { id?: string; scopes: string }) => {
    try {
      const key = newApiKey({
        ...(opts.id !== undefined && { id: opts.id }),
        scopes: parseScopes(opts.scopes),
      });
      for (const line of apiKeyLines(key)) console.log(line);
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

#!/usr/bin/env node
import { existsSync, readFileSync } from 'node:fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import { apiKeyLines, newApiKey, parseScopes } from './cli/api-key';
import { routeTest } from './cli/route-test';
import { sendTest } from './cli/send-test';
import { createApiClient } from './cli/api-client';
import { formatDelivery, listDeliveries, retryDeliveries } from './cli/deliveries-command';
import { replay } from './cli/replay-command';
import type { RouteMatchConfig } from './config/config-schema';
import { ConfigError } from './config/config-error';
import type { RelayConfig } from './config/relay-config';
import { loadConfig, resolveConfigPath } from './config/load-config';
import { createLogger } from './log/create-logger';
import { RedisUnavailableError } from './app/start-private-redis';
import { startRelay, type Role } from './app/start-relay';
import { parseClusterNodes } from './pipeline/create-redis';

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
        redisClusterNodes: parseClusterNodes(process.env.REDIS_CLUSTER_NODES ?? ''),
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
  .description('show which routes and sinks an event, or a provider webhook body, would go to')
  .argument(
    '<file>',
    'a CiEvent JSON file (or a CiEvent body); with --provider, a webhook body as the provider sends it',
  )
  .option('-c, --config <file>', 'config file (default: $RELAY_CONFIG, else config/relay.yaml)')
  .option(
    '-p, --provider <name>',
    "the file is this provider's webhook body (github, gitlab, ...), not a CiEvent",
  )
  .option(
    '-H, --header <name:value>',
    'a webhook header, e.g. "x-github-event: workflow_run" (repeatable)',
    (value: string, all: string[]) => [...all, value],
    [] as string[],
  )
  .action(async (file: string, opts: { config?: string; provider?: string; header: string[] }) => {
    const config = loadOrExit(resolveConfigPath(opts.config));
    const text = readFileSync(file, 'utf8');
    try {
      if (opts.provider === undefined) {
        for (const line of await routeTest(config, JSON.parse(text) as unknown)) console.log(line);
        return;
      }
      const headers: Record<string, string> = {};
      for (const header of opts.header) {
        const at = header.indexOf(':');
        if (at <= 0) throw new Error(`[route-test] --header "${header}" is not name:value`);
        headers[header.slice(0, at).trim().toLowerCase()] = header.slice(at + 1).trim();
      }
      for (const line of await routeTest(config, text, { provider: opts.provider, headers }))
        console.log(line);
    } catch (e) {
      console.error(e instanceof Error ? e.message : String(e));
      process.exitCode = 1;
    }
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

const collect = (value: string, all: string[]) => [...all, value];
const apiOptions = (command: Command) =>
  command.option(
    '--url <url>',
    'the relay (default: $CI_RELAY_URL, else http://localhost:8080); the key is $CI_RELAY_API_KEY',
  );

/** Runs an API command; its errors are one line on stderr and exit code 1. */
const viaApi =
  <A extends unknown[]>(fn: (...args: A) => Promise<void>) =>
  async (...args: A) => {
    try {
      await fn(...args);
    } catch (e) {
      console.error(e instanceof Error ? e.message : String(e));
      process.exitCode = 1;
    }
  };

const deliveries = program.command('deliveries').description('list and retry deliveries through the API');
apiOptions(
  deliveries
    .command('list')
    .description('deliveries newest first: id, state, sink, route, attempts, next retry, last error')
    .option(
      '-s, --state <state>',
      'pending, retrying, sent, failed, skipped or silenced (repeatable)',
      collect,
      [] as string[],
    )
    .option('--sink <id>', 'sink id (repeatable)', collect, [] as string[])
    .option('--route <name>', 'route name (repeatable)', collect, [] as string[])
    .option('--event <id>', 'event id (repeatable)', collect, [] as string[])
    .option('--since <time>', 'ISO 8601 date-time or a duration back from now (2h, 7d)')
    .option('-n, --limit <n>', 'at most this many', '50'),
).action(
  viaApi(
    async (opts: {
      url?: string;
      state: string[];
      sink: string[];
      route: string[];
      event: string[];
      since?: string;
      limit: string;
    }) => {
      const api = createApiClient({ url: opts.url });
      const filter = {
        state: opts.state,
        sink: opts.sink,
        route: opts.route,
        event: opts.event,
        since: opts.since,
      };
      let count = 0;
      for await (const d of listDeliveries(api, filter, Number(opts.limit))) {
        console.log(formatDelivery(d));
        count++;
      }
      if (count === 0) console.error('no deliveries match');
    },
  ),
);
apiOptions(
  deliveries
    .command('retry')
    .description(
      'send failed deliveries again with their notification ids: the ids given, or every failed one that matches',
    )
    .argument('[ids...]', 'delivery (notification) ids; none: every failed delivery matching the filters')
    .option('--sink <id>', 'only this sink (repeatable)', collect, [] as string[])
    .option('--route <name>', 'only this route (repeatable)', collect, [] as string[])
    .option('--since <time>', 'only deliveries created since (2h, 7d, or ISO 8601)'),
).action(
  viaApi(async (ids: string[], opts: { url?: string; sink: string[]; route: string[]; since?: string }) => {
    const api = createApiClient({ url: opts.url });
    const result = await retryDeliveries(
      api,
      ids,
      { sink: opts.sink, route: opts.route, since: opts.since },
      (line) => console.error(line),
    );
    for (const f of result.failed) console.error(`${f.id}: ${f.error}`);
    console.log(
      `retried ${result.retried} deliveries${result.failed.length > 0 ? `, ${result.failed.length} refused` : ''}`,
    );
    if (result.failed.length > 0) process.exitCode = 1;
  }),
);

apiOptions(
  program
    .command('replay')
    .description('route the events of a time range again, as new notifications (through the API)')
    .requiredOption('--since <time>', 'ISO 8601 date-time or a duration back from now (2h, 7d)')
    .option('--until <time>', 'end of the range (default: now)')
    .option('--sink <id>', 'only to this sink (repeatable)', collect, [] as string[])
    .option(
      '-m, --match <key=glob>',
      'only events whose route match key matches, e.g. repository=acme/* (repeatable)',
      collect,
      [] as string[],
    )
    .option('--dry-run', 'list what would be sent; send nothing', false),
).action(
  viaApi(
    async (opts: {
      url?: string;
      since: string;
      until?: string;
      sink: string[];
      match: string[];
      dryRun: boolean;
    }) => {
      const match: Record<string, string | string[]> = {};
      for (const m of opts.match) {
        const at = m.indexOf('=');
        if (at <= 0) throw new Error(`[replay] --match "${m}" is not key=glob`);
        const key = m.slice(0, at);
        const value = m.slice(at + 1);
        const before = match[key];
        match[key] = before === undefined ? value : [...(Array.isArray(before) ? before : [before]), value];
      }
      await replay(
        createApiClient({ url: opts.url }),
        {
          since: opts.since,
          until: opts.until,
          sinks: opts.sink.length > 0 ? opts.sink : undefined,
          match: Object.keys(match).length > 0 ? (match as RouteMatchConfig) : undefined,
          dryRun: opts.dryRun,
        },
        (line) => console.log(line),
        (line) => console.error(line),
      );
    },
  ),
);

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

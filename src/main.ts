#!/usr/bin/env node
import cluster from 'node:cluster';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { superviseProcesses } from './app/supervise-processes';
import { apiKeyLines, newApiKey, parseScopes } from './cli/api-key';
import { initEnv } from './cli/init-env';
import { packageRoot, packageVersion } from './cli/package-root';
import { routeTest } from './cli/route-test';
import { sendTest } from './cli/send-test';
import { createApiClient } from './cli/api-client';
import { formatDelivery, listDeliveries, retryDeliveries } from './cli/deliveries-command';
import { addSilence, expireSilence, formatSilence, listSilences } from './cli/silence-command';
import { replay } from './cli/replay-command';
import type { RouteMatchConfig } from './config/config-schema';
import { ConfigError } from './config/config-error';
import type { RelayConfig } from './config/relay-config';
import { loadConfig, resolveConfigPath } from './config/load-config';
import { readEnv } from './config/read-env';
import { readPublishedSecrets } from './config/read-published-secrets';
import { RelayStartError } from './app/listen';
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
  .option(
    '-p, --processes <n>',
    'run N relay processes sharing the port, to use N cores (node:cluster)',
    (value: string) => {
      const n = Number(value);
      if (!Number.isInteger(n) || n < 1 || n > 64) throw new InvalidArgumentError('a number from 1 to 64');
      return n;
    },
    1,
  )
  .action(async (opts: { config?: string; role: Role; processes: number }) => {
    const log = createLogger();
    const configFile = resolveConfigPath(opts.config);
    if (opts.processes > 1 && cluster.isPrimary) {
      loadOrExit(configFile); // a bad config is refused once, here, not by every process
      await superviseProcesses({
        processes: opts.processes,
        log,
        redisUrl: process.env.REDIS_URL || undefined,
      });
      return;
    }
    try {
      const gracePeriodMs = millisFrom('SHUTDOWN_GRACE_MS', process.env.SHUTDOWN_GRACE_MS, 10_000);
      const relay = await startRelay({
        configFile,
        role: opts.role,
        redisUrl: process.env.REDIS_URL || undefined,
        redisClusterNodes: parseClusterNodes(process.env.REDIS_CLUSTER_NODES ?? ''),
        port: portFrom(process.env.PORT, 8080),
        host: process.env.HOST || '0.0.0.0',
        log,
        env: () => readEnv(launchEnv),
        envFile: '.env',
        gracePeriodMs,
        lowerWorkerPriority: true,
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

const silence = program.command('silence').description('add, list and expire silences through the API');
apiOptions(
  silence
    .command('add')
    .description('silence matching notifications for a while (every relay instance honours it)')
    .option(
      '-m, --match <key=value>',
      'a route match key (repeatable; a key twice is "any of"; globs)',
      collect,
      [] as string[],
    )
    .option('--for <duration>', 'how long from now: 30m, 2h, 1d')
    .option('--until <time>', 'or until when (ISO 8601)')
    .requiredOption('-c, --comment <text>', 'why (shown with every notification it silences)')
    .option('--all', 'allow a silence with no --match (it silences everything)'),
).action(
  viaApi(
    async (opts: {
      url?: string;
      match: string[];
      for?: string;
      until?: string;
      comment: string;
      all?: boolean;
    }) => {
      console.log(formatSilence(await addSilence(createApiClient({ url: opts.url }), opts)));
    },
  ),
);
apiOptions(
  silence
    .command('list')
    .description('active and pending silences')
    .option('--expired', 'include expired ones'),
).action(
  viaApi(async (opts: { url?: string; expired?: boolean }) => {
    const items = await listSilences(createApiClient({ url: opts.url }), opts.expired === true);
    for (const s of items) console.log(formatSilence(s));
    if (items.length === 0) console.error('no silences');
  }),
);
apiOptions(silence.command('expire').description('end a silence now').argument('<id>', 'silence id')).action(
  viaApi(async (id: string, opts: { url?: string }) => {
    console.log(formatSilence(await expireSilence(createApiClient({ url: opts.url }), id)));
  }),
);

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

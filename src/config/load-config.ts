import { readFileSync } from 'node:fs';
import type { ErrorObject } from 'ajv';
import { parseDocument } from 'yaml';
import { createAjv } from '../event/create-ajv';
import { formatAjvErrors } from '../event/format-ajv-errors';
import { providers } from '../providers';
import { sinkConfigChecks, sinkRouteOptionSchemas, type SinkConfig } from '../../sinks';
import { decodeStandardWebhookSecret } from '../standard-webhooks/standard-webhook-secret';
import { compileRoute } from '../routing/compile-route';
import { compileTimeIntervals } from '../routing/time-intervals';
import type { CompiledRoute } from '../routing/compiled-route';
import { relayConfigSchema, type RelayConfigFile } from './config-schema';
import { ConfigError } from './config-error';
import type { RelayConfig } from './relay-config';
import { resolveApiSettings } from './resolve-api-settings';
import { authKeys } from './source-config-schema';
import { dropEmptySecrets } from './drop-empty-secrets';
import { substituteEnv } from './substitute-env';

const ajv = createAjv();
const checkSchema = ajv.compile<RelayConfigFile>(relayConfigSchema);
const routeOptionValidators = new Map(
  Object.entries(sinkRouteOptionSchemas).map(([type, schema]) => [type, ajv.compile(schema)]),
);

/** A sink's own checks applied to its config as a route's options would change it (templates in options, ...). */
function sinkOptionChecks(sink: SinkConfig, options: Record<string, unknown>): string[] {
  const check = sinkConfigChecks[sink.type] as ((c: SinkConfig) => string[]) | undefined;
  return check?.({ ...sink, ...options } as SinkConfig) ?? [];
}

/** Where the config is read from: `--config`, else `RELAY_CONFIG`, else `config/relay.yaml`. */
export function resolveConfigPath(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return flag ?? env.RELAY_CONFIG ?? 'config/relay.yaml';
}

/** Reads and validates a config file; throws ConfigError listing every problem. */
export function loadConfig(file: string, env: NodeJS.ProcessEnv = process.env): RelayConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new ConfigError(file, [
      `cannot read the file (${(cause as NodeJS.ErrnoException).code ?? String(cause)})`,
    ]);
  }
  return parseConfig(text, file, env);
}

/** Validates config text (YAML or JSON); throws ConfigError listing every problem. */
export function parseConfig(text: string, file: string, env: NodeJS.ProcessEnv = process.env): RelayConfig {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0)
    throw new ConfigError(
      file,
      doc.errors.map((e) => `YAML: ${e.message.split('\n')[0]}`),
    );
  const problems: string[] = [];
  const raw = dropEmptySecrets(substituteEnv(doc.toJS(), env, problems));
  if (!checkSchema(raw)) {
    // Paths already reported as a missing variable would only repeat as "too short" here.
    const envPaths = problems.map((p) => p.slice(0, p.indexOf(':')));
    const schemaProblems = formatAjvErrors(checkSchema.errors as ErrorObject[]).filter(
      (p) => !envPaths.includes(p.slice(0, p.indexOf(':'))),
    );
    // Cross-references are still worth reporting when the shape is roughly right, so one run lists everything.
    if (hasListShape(raw)) {
      try {
        checkReferences(raw, problems);
      } catch {
        // The shape was too far off to check references; the schema errors say why.
      }
    }
    throw new ConfigError(file, [...problems, ...schemaProblems]);
  }
  const routes = checkReferences(raw, problems);
  const api = raw.api && resolveApiSettings(raw.api, problems);
  if (problems.length > 0) throw new ConfigError(file, problems);
  return {
    file,
    bodyLimitBytes: raw.receiver?.bodyLimitBytes ?? 1024 * 1024,
    deliveryTtlSeconds: raw.dedup?.deliveryTtlSeconds ?? 3 * 24 * 3600,
    notificationTtlSeconds: raw.dedup?.notificationTtlSeconds ?? 24 * 3600,
    stalledAfterMs: raw.workers?.stalledAfterMs ?? 30_000,
    workerNice: raw.workers?.nice ?? 10,
    ...(raw.workers?.eventPartitions !== undefined && { eventPartitions: raw.workers.eventPartitions }),
    ...(raw.redis?.waitForReplicas && { waitForReplicas: { ...raw.redis.waitForReplicas } }),
    retention: { days: raw.retention?.days ?? 7, events: raw.retention?.events ?? 100_000 },
    ciMetrics: {
      repositories: raw.metrics?.ciLabels?.repositories,
      maxSeries: raw.metrics?.ciLabels?.maxSeries ?? 200,
      branch: raw.metrics?.ciLabels?.branch ?? false,
      jobWaitingTimeoutSeconds: raw.metrics?.jobWaitingTimeoutSeconds ?? 3600,
    },
    sources: new Map(raw.sources.map((s) => [s.id, s])),
    sinks: new Map(raw.sinks.map((s) => [s.id, s])),
    routes,
    ...(api && { api }),
  };
}

function hasListShape(raw: unknown): raw is RelayConfigFile {
  const r = raw as Partial<Record<string, unknown>> | null;
  return (
    r !== null && typeof r === 'object' && ['sources', 'sinks', 'routes'].every((k) => Array.isArray(r[k]))
  );
}

function duplicates(ids: readonly string[]): string[] {
  return [...new Set(ids.filter((id, i) => ids.indexOf(id) !== i))];
}

/** Checks what a schema cannot: unique ids, references, per-provider keys, secret formats, globs. */
function checkReferences(config: RelayConfigFile, problems: string[]): CompiledRoute[] {
  for (const id of duplicates(config.sources.map((s) => s.id)))
    problems.push(`sources: duplicate id "${id}"`);
  for (const id of duplicates(config.sinks.map((s) => s.id))) problems.push(`sinks: duplicate id "${id}"`);
  for (const id of duplicates(config.routes.map((r) => r.name)))
    problems.push(`routes: duplicate name "${id}"`);

  config.sources.forEach((source, i) => {
    const at = `sources[${i}] (${source.id})`;
    const provider = providers[source.provider];
    const given = authKeys.filter((k) => source[k] !== undefined);
    for (const key of given) {
      if (!provider.auth.includes(key)) {
        problems.push(
          `${at}: provider ${source.provider} does not take "${key}" (it takes ${provider.auth.join(', ')})`,
        );
      }
    }
    if (given.length === 0 && source.insecure !== true) {
      problems.push(
        `${at}: no credentials (${provider.auth.join(', ')}); set one, or "insecure: true" to accept unsigned webhooks`,
      );
    }
    (source.secrets ?? []).forEach((secret, j) => {
      if (!secret.startsWith('whsec_')) {
        if (provider.secretKind === 'standard-webhooks') {
          problems.push(
            `${at}.secrets[${j}]: provider ${source.provider} verifies Standard Webhooks signatures; its secrets are whsec_ keys`,
          );
        }
        return;
      }
      try {
        decodeStandardWebhookSecret(secret);
      } catch (e) {
        problems.push(`${at}.secrets[${j}]: ${(e as Error).message}`);
      }
    });
  });

  config.sinks.forEach((sink, i) => {
    const check = sinkConfigChecks[sink.type] as ((c: SinkConfig) => string[]) | undefined;
    for (const problem of check?.(sink) ?? []) problems.push(`sinks[${i}] (${sink.id}).${problem}`);
  });

  const sinksById = new Map(config.sinks.map((s) => [s.id, s]));
  const intervals = compileTimeIntervals(config.timeIntervals, problems);
  const compiled: CompiledRoute[] = [];
  config.routes.forEach((route, i) => {
    for (const sink of route.sinks) {
      if (!sinksById.has(sink))
        problems.push(`routes[${i}]: route "${route.name}" names unknown sink "${sink}"`);
    }
    for (const [sinkId, options] of Object.entries(route.options ?? {})) {
      const at = `routes[${i}] (${route.name}).options.${sinkId}`;
      const sink = sinksById.get(sinkId);
      if (!sink || !route.sinks.includes(sinkId)) {
        problems.push(`${at}: the route does not send to a sink "${sinkId}"`);
        continue;
      }
      const validate = routeOptionValidators.get(sink.type);
      if (!validate) problems.push(`${at}: ${sink.type} sinks take no route options`);
      else if (!validate(options)) problems.push(...formatAjvErrors(validate.errors as ErrorObject[], at));
      else for (const problem of sinkOptionChecks(sink, options)) problems.push(`${at}.${problem}`);
    }
    try {
      compiled.push(compileRoute(route, intervals));
    } catch (e) {
      problems.push(`routes[${i}] (${route.name}).${(e as Error).message}`);
    }
  });
  return compiled;
}

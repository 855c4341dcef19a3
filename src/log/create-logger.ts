import pino, { type Logger } from 'pino';
import pretty from 'pino-pretty';

/** The logger type every component takes. */
export type { Logger };

/** Keys whose values are never written to a log line, wherever they appear (two levels deep). */
const secretKeys = [
  'secret',
  'secrets',
  'token',
  'password',
  'publicKey',
  'authorization',
  'cookie',
  'apiKey',
];
const redactPaths = secretKeys.flatMap((k) => [k, `*.${k}`, `*.*.${k}`, `headers["${k.toLowerCase()}"]`]);

/** Whether log lines are JSON (for collectors; the default) or human-readable (`LOG_FORMAT=pretty`, or a terminal). */
export function logFormat(
  env: NodeJS.ProcessEnv = process.env,
  tty = process.stdout.isTTY === true,
): 'json' | 'pretty' {
  if (env.LOG_FORMAT === 'pretty' || env.LOG_FORMAT === 'json') return env.LOG_FORMAT;
  return tty ? 'pretty' : 'json';
}

/**
 * The relay's logger (pino) on stdout, or on `destination` when given: JSON lines, or with
 * `LOG_FORMAT=pretty` (or on a terminal) one readable line each through pino-pretty.
 * @param level - `LOG_LEVEL`; @defaultValue `info`
 */
export function createLogger(
  level = process.env.LOG_LEVEL ?? 'info',
  destination?: pino.DestinationStream,
  format: 'json' | 'pretty' = destination ? 'json' : logFormat(),
): Logger {
  const options = {
    level,
    base: { service: 'ci-relay' },
    redact: { paths: redactPaths, censor: '<secret>' },
  };
  if (format === 'pretty')
    return pino(
      options,
      pretty({
        destination: destination ?? 1,
        sync: true,
        colorize: destination === undefined && process.stdout.isTTY === true,
        translateTime: 'SYS:HH:MM:ss.l',
        ignore: 'pid,hostname,service',
        singleLine: true,
      }),
    );
  return pino(options, destination);
}

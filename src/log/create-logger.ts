import pino, { type Logger } from 'pino';

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

/**
 * The relay's JSON logger (pino) on stdout, or on `destination` when given.
 * @param level - `LOG_LEVEL`; @defaultValue `info`
 */
export function createLogger(
  level = process.env.LOG_LEVEL ?? 'info',
  destination?: pino.DestinationStream,
): Logger {
  return pino(
    { level, base: { service: 'ci-relay' }, redact: { paths: redactPaths, censor: '<secret>' } },
    destination,
  );
}

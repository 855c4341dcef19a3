import type { Logger } from 'pino';

/**
 * Logs a sink's health changes, not every failure: one warning when it starts failing and one line
 * when it delivers again, so a down sink with a thousand queued notifications is two log lines.
 */
export function createSinkHealth(log: Logger, name: string) {
  let failures = 0;
  let since = 0;
  return {
    /** Whether the last attempt failed (the sink has not delivered since). */
    get failing(): boolean {
      return failures > 0;
    },
    /** After a failed attempt; `error` is the first failure's message. */
    failed(error: string, now = Date.now()): void {
      if (failures++ === 0) {
        since = now;
        log.warn({ err: error }, `[delivery] ${name} is failing: ${error}`);
      }
    },
    /** After a delivered (or deliberately skipped) notification. */
    ok(now = Date.now()): void {
      if (failures === 0) return;
      log.info(
        { failures, downForMs: now - since },
        `[delivery] ${name} recovered after ${failures} failed attempt${failures === 1 ? '' : 's'}`,
      );
      failures = 0;
    },
  };
}

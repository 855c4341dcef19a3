import { getPriority, setPriority } from 'node:os';
import type { Logger } from 'pino';

/**
 * Raises this process's nice value by `by` (capped at 19), for a `--role worker` process
 * (`workers.nice`). A worker works off a durable queue and can catch up later; a receiver is what CI
 * providers wait on, and they retry (and in the end disable the hook) when it is slow. Where the two
 * share cores, the kernel then runs the receiver first. A worker alone on its machine is unaffected:
 * nice only orders processes that compete for a core.
 * A system that refuses is logged, and the process runs on at its priority.
 */
export function lowerPriority(by: number, log: Logger): void {
  if (by <= 0) return;
  try {
    const target = Math.min(19, getPriority() + by);
    setPriority(target);
    log.info({ nice: target }, `[relay] worker CPU priority lowered to nice ${target} (workers.nice)`);
  } catch (err) {
    log.warn({ err }, '[relay] could not lower the worker CPU priority (workers.nice)');
  }
}

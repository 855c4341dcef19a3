import type { CiEvent } from './ci-event-schema';

/** Which attempt (re-run) of its run `event` belongs to; providers that do not say are on attempt 1. */
export function attemptOf(event: CiEvent): number {
  return event.pipeline.attempt ?? 1;
}

import type { CiEvent } from './ci-event-schema';

/** `passed on attempt 2 after failing: flaky?` for an event the router marked flaky, else undefined. */
export function flakyNote(event: CiEvent): string | undefined {
  if (event.flaky !== true) return undefined;
  const attempt = event.pipeline.attempt ?? 1;
  return attempt > 1
    ? `passed on attempt ${attempt} after failing: flaky?`
    : 'passed on a re-run of the same commit after failing: flaky?';
}

import { createHash } from 'node:crypto';
import type { CiEvent } from './ci-event-schema';

/**
 * sha-256 of what identifies one run: (source, repository, run id). Every job and every re-run attempt
 * of a run share it (re-runs keep the run id).
 */
export function runDigest(event: CiEvent): Buffer {
  return createHash('sha256')
    .update([event.source, event.repository.name, event.pipeline.id].join('\n'))
    .digest();
}

/** {@link runDigest} as base64url: the run's part of a Redis key (run snapshots, sink message state). */
export function runKey(event: CiEvent): string {
  return runDigest(event).toString('base64url');
}

/**
 * What identifies a series of runs whose health is tracked together: (provider, repository, pipeline
 * name, branch or tag), as base64url sha-256. `broken`/`fixed` compare runs of one series.
 */
export function seriesKey(event: CiEvent): string {
  const series = [
    event.provider,
    event.repository.name,
    event.pipeline.name,
    event.branch ?? event.tag ?? '',
  ];
  return createHash('sha256').update(series.join('\n')).digest('base64url');
}

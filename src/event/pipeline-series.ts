import { createHash } from 'node:crypto';
import type { CiEvent } from './ci-event-schema';

/**
 * The id of the series of runs an event belongs to: (provider, repository, pipeline name, branch or
 * tag). A run's history (broken, fixed, ...) and its line on the run board are kept per series.
 */
export function pipelineSeries(event: CiEvent): string {
  const series = [
    event.provider,
    event.repository.name,
    event.pipeline.name,
    event.branch ?? event.tag ?? '',
  ];
  return createHash('sha256').update(series.join('\n')).digest('base64url');
}

import type { CiEvent } from '../../src/event/ci-event-schema';
import type { Notification } from '../../src/contracts/sink';

/** CDEvents spec version the events follow. https://cdevents.dev/docs/ */
export const cdeventsVersion = '0.4.1';

type Outcome = 'success' | 'failure' | 'error';

/** `outcome` and `errors` of a finished run or task; CDEvents has no "cancelled", so it is an error that says so. */
function outcomeOf(event: CiEvent): { outcome: Outcome; errors?: string } {
  const what = event.kind === 'pipeline' ? 'PipelineRun' : 'TaskRun';
  switch (event.status) {
    case 'success':
      return { outcome: 'success' };
    case 'failure':
      return { outcome: 'failure', errors: `${what} failed (${event.providerStatus})` };
    case 'cancelled':
      return { outcome: 'error', errors: `${what} cancelled (${event.providerStatus})` };
    case 'skipped':
      return { outcome: 'error', errors: `${what} skipped (${event.providerStatus})` };
    default:
      return { outcome: 'error', errors: `${what} errored (${event.providerStatus})` };
  }
}

/** The CDEvents predicate of a status: queued, started or finished (taskRun has no queued). */
function predicateOf(event: CiEvent): 'queued' | 'started' | 'finished' {
  if (event.status === 'queued' || event.status === 'waiting')
    return event.kind === 'pipeline' ? 'queued' : 'started';
  return event.status === 'running' ? 'started' : 'finished';
}

/**
 * The CiEvent of `notification` as a CDEvent (pipelineRun or taskRun, queued/started/finished) in a
 * CloudEvents 1.0 envelope, structured mode. The CloudEvent id is the notification id, so retries keep it.
 * https://github.com/cdevents/spec/blob/v0.4.1/core.md
 */
export function toCloudEvent(notification: Notification, sentAt: Date): Record<string, unknown> {
  const { event } = notification;
  const predicate = predicateOf(event);
  const subjectType = event.kind === 'pipeline' ? 'pipelineRun' : 'taskRun';
  const type = `dev.cdevents.${subjectType.toLowerCase()}.${predicate}.0.2.0`;
  const source = event.repository.url ?? `/${event.provider}/${event.repository.name}`;
  const pipelineRunId = `${event.provider}/${event.repository.name}/${event.pipeline.id}`;
  const finished = predicate === 'finished' ? outcomeOf(event) : {};
  const content =
    event.kind === 'pipeline'
      ? {
          pipelineName: event.pipeline.name,
          ...(event.pipeline.url && { url: event.pipeline.url }),
          ...finished,
        }
      : {
          taskName: event.job?.name ?? event.pipeline.name,
          pipelineRun: { id: pipelineRunId, source },
          ...((event.job?.url ?? event.pipeline.url) && { url: event.job?.url ?? event.pipeline.url }),
          ...finished,
        };
  const timestamp = event.finishedAt ?? event.startedAt ?? event.receivedAt;
  return {
    specversion: '1.0',
    id: notification.id,
    source,
    type,
    time: sentAt.toISOString(),
    datacontenttype: 'application/json',
    data: {
      context: { version: cdeventsVersion, id: notification.id, source, type, timestamp },
      subject: {
        id: event.kind === 'pipeline' ? pipelineRunId : `${pipelineRunId}/${event.job?.id ?? ''}`,
        source,
        type: subjectType,
        content,
      },
      customData: { ciRelay: event },
      customDataContentType: 'application/json',
    },
  };
}

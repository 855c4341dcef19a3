import type { CiEvent } from '../event/ci-event-schema';
import type { Notification } from '../contracts/sink';

/** A realistic failed pipeline notification for `send-test`, stamped `now`. */
export function sampleNotification(now: Date, id: string): Notification {
  const finished = now.toISOString();
  const started = new Date(now.getTime() - 252_000).toISOString();
  const event: CiEvent = {
    id,
    schemaVersion: 1,
    source: 'send-test',
    provider: 'generic',
    deliveryId: id,
    kind: 'pipeline',
    status: 'failure',
    providerStatus: 'failed',
    transition: 'broken',
    repository: { name: 'acme/web', url: 'https://github.com/acme/web' },
    branch: 'main',
    commit: {
      sha: '9f2c4e1a7b3d5f6e8a0c2b4d6f8e0a1c3b5d7f9e',
      message: 'Fix login redirect loop\n\nThis is a test notification sent by `ci-relay send-test`.',
      url: 'https://github.com/acme/web/commit/9f2c4e1a7b3d5f6e8a0c2b4d6f8e0a1c3b5d7f9e',
      author: { name: 'Mona Lisa', email: 'mona@example.com', login: 'octocat' },
    },
    pipeline: {
      id: `send-test-${id}`,
      name: 'CI',
      number: 1234,
      attempt: 1,
      url: 'https://github.com/acme/web/actions',
    },
    actor: { login: 'octocat', name: 'Mona Lisa' },
    startedAt: started,
    finishedAt: finished,
    durationMs: 252_000,
    receivedAt: finished,
  };
  return { id, route: 'send-test', event };
}

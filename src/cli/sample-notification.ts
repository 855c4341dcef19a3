import type { CiEvent } from '../event/ci-event-schema';
import type { Notification } from '../contracts/sink';

/**
 * The failed pipeline `send-test` sends, stamped `now`. Every line a sink shows says it is a test
 * (repository `TEST/send-test`, the commit title), and it names no commit author's email, so a sink
 * set to mail authors (`notifyAuthor`) mails only its own recipients. Links go to example.com.
 */
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
    repository: { name: 'TEST/send-test', url: 'https://example.com/ci-relay/send-test' },
    branch: 'main',
    commit: {
      sha: '0000000000000000000000000000000000000000',
      message:
        'This is a test notification from ci-relay send-test: no build ran or failed\n\n' +
        "It was sent by `ci-relay send-test` to check this sink's credentials and target.",
      url: 'https://example.com/ci-relay/send-test',
      author: { name: 'ci-relay send-test' },
    },
    pipeline: {
      id: `send-test-${id}`,
      name: 'ci-relay send-test',
      number: 1,
      attempt: 1,
      url: 'https://example.com/ci-relay/send-test',
    },
    actor: { login: 'ci-relay', name: 'ci-relay send-test' },
    startedAt: started,
    finishedAt: finished,
    durationMs: 252_000,
    receivedAt: finished,
  };
  return { id, route: 'send-test', event };
}

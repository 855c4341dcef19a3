import type { CiEvent } from '../../src/event/ci-event-schema';

/**
 * A valid CiEvent: a failed GitHub Actions pipeline run on acme/web `main`.
 * Pass `overrides` to change top-level fields (nested objects are replaced, not merged).
 */
export function sampleEvent(overrides: Partial<CiEvent> = {}): CiEvent {
  return {
    id: '01HZY3KQ8J4V5W6X7Y8Z9A0B1C',
    schemaVersion: 1,
    source: 'github',
    provider: 'github',
    deliveryId: '72d3162e-cc78-11e3-81ab-4c9367dc0958',
    receivedAt: '2024-05-01T12:00:05.000Z',
    kind: 'pipeline',
    status: 'failure',
    providerStatus: 'completed/failure',
    repository: { name: 'acme/web', url: 'https://github.com/acme/web' },
    branch: 'main',
    commit: {
      sha: '9f2c4e1a7b3d5f6e8a0c2b4d6f8e0a1c3b5d7f9e',
      message: 'Fix checkout total rounding',
      url: 'https://github.com/acme/web/commit/9f2c4e1a7b3d5f6e8a0c2b4d6f8e0a1c3b5d7f9e',
      author: { login: 'octocat', name: 'Mona Lisa Octocat', email: 'mona@acme.example' },
    },
    pipeline: {
      id: '9012345678',
      name: 'CI',
      number: 1234,
      attempt: 1,
      url: 'https://github.com/acme/web/actions/runs/9012345678',
    },
    actor: { login: 'octocat' },
    createdAt: '2024-05-01T11:55:00Z',
    startedAt: '2024-05-01T11:55:10Z',
    finishedAt: '2024-05-01T12:00:00Z',
    durationMs: 290_000,
    ...overrides,
  };
}

/** `event` as a generic source posts it: without the fields the relay assigns on receipt. */
export function genericWebhookBody(event: CiEvent): Record<string, unknown> {
  const {
    id: _id,
    schemaVersion: _v,
    source: _s,
    provider: _p,
    deliveryId: _d,
    receivedAt: _r,
    ...rest
  } = event;
  return rest;
}

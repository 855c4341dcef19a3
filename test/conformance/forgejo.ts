import { createHmac, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ProviderConformance } from './provider-conformance';

const secret = 'conformance-forgejo';

const fixture = (file: string, event: string) => {
  const delivery = randomUUID();
  return {
    name: file,
    webhook: {
      body: readFileSync(join(__dirname, '../fixtures/forgejo', file), 'utf8'),
      contentType: 'application/json',
      // Forgejo sends its own headers and Gitea's (and Gogs' and GitHub's) for compatibility.
      headers: {
        'x-forgejo-event': event,
        'x-forgejo-event-type': event,
        'x-forgejo-delivery': delivery,
        'x-gitea-event': event,
        'x-gitea-delivery': delivery,
      },
    },
  };
};

/** Forgejo: `X-Forgejo-Signature` (and the same value as `X-Gitea-Signature`) over the raw body. */
export const forgejoConformance: ProviderConformance = {
  provider: 'forgejo',
  source: { id: 'forgejo', provider: 'forgejo', secrets: ['older-secret', secret] },
  signsBody: true,
  sign: (webhook) => {
    // Signed the way Forgejo documents it, independently of the relay's code: the bare hex HMAC-SHA256.
    // https://forgejo.org/docs/latest/user/webhooks/
    const signature = createHmac('sha256', secret).update(webhook.body).digest('hex');
    return { 'x-forgejo-signature': signature, 'x-gitea-signature': signature };
  },
  fixtures: [
    fixture('action_run_success.json', 'action_run_success'),
    fixture('action_run_failure.json', 'action_run_failure'),
    fixture('action_run_recover.json', 'action_run_recover'),
    fixture('action_run_failure.cancelled.json', 'action_run_failure'),
    fixture('action_run_success.pull_request.json', 'action_run_success'),
  ],
};

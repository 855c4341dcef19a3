import { summarizeProblems } from '../event/summarize-problems';
import { validateEventBody } from '../event/validate-event';
import type { CiEventBody } from '../event/ci-event-schema';
import { verifyStandardWebhookRequest } from '../verify/verify-standard-webhook-request';
import { PayloadError } from './payload-error';
import type { Provider } from './provider';

/**
 * Any CI that can run a script: a Standard Webhooks-signed POST whose body is a CiEvent without the
 * fields the relay assigns. `webhook-id` is the delivery id.
 */
export const genericProvider: Provider = {
  auth: ['secrets'],
  secretKind: 'standard-webhooks',
  contentTypes: ['application/json'],
  verify: (request, source, nowMs) => verifyStandardWebhookRequest(request, source.secrets ?? [], nowMs),
  deliveryHeaders: ['webhook-id'],
  deliveryId: (request) => request.headers['webhook-id'],
  normalize(_request, payload) {
    const problems = validateEventBody(payload);
    const first = problems[0];
    if (first !== undefined)
      throw new PayloadError(`body is not a CiEvent: ${summarizeProblems(problems)}`, first.split(':')[0]);
    return { type: 'events', events: [payload as CiEventBody] };
  },
};

import { field, startStandIn, type StandIn, type StandInAnswer } from './start-stand-in';

/** A stand-in for a Teams Workflows webhook (a Logic Apps / Power Automate HTTP trigger). */
export interface FakeTeams extends StandIn {
  /** The webhook URL, with its `sig`. */
  url: string;
  sig: string;
  /** Adaptive Cards taken (answered 202), in order. */
  cards: unknown[];
  /** The service's own answer for an error status. */
  errorAnswer(status: number, retryAfter?: string): StandInAnswer;
}

/**
 * Answers 202 Accepted (empty body) to a message holding one Adaptive Card; a wrong `sig` 401, a body
 * that is not such a message 400, both in the Logic Apps error shape `{ error: { code, message } }`.
 * https://learn.microsoft.com/en-us/azure/connectors/connectors-native-reqres
 */
export async function startFakeTeams(): Promise<FakeTeams> {
  const sig = 'TEAMS-SIG-s3cr3t-0123456789abcdef';
  const cards: unknown[] = [];
  const path = '/workflows/0a1b2c3d4e5f/triggers/manual/paths/invoke';
  const error = (status: number, code: string, message: string, headers: Record<string, string> = {}) => ({
    status,
    headers,
    body: { error: { code, message } },
  });
  const errorAnswer = (status: number, retryAfter?: string): StandInAnswer => {
    const headers: Record<string, string> = retryAfter === undefined ? {} : { 'retry-after': retryAfter };
    if (status === 429)
      return error(429, 'WorkflowRequestsThrottled', 'Rate limit is exceeded. Try again later.', headers);
    if (status === 401)
      return error(401, 'DirectApiInvalidAuthorizationSignature', 'The provided signature is invalid.');
    if (status === 404) return error(404, 'WorkflowNotFound', 'The workflow could not be found.');
    if (status === 413) return error(413, 'RequestContentTooLarge', 'The request content is too large.');
    if (status >= 500) return error(status, 'ServiceUnavailable', 'The service is unavailable.', headers);
    return error(status, 'InvalidRequestContent', 'The request content is not valid.');
  };
  const standIn = await startStandIn((request) => {
    if (request.method !== 'POST' || request.path !== path) return errorAnswer(404);
    if (request.query.get('sig') !== sig) return errorAnswer(401);
    const attachment = field(request.json, 'attachments', 0);
    if (
      field(request.json, 'type') !== 'message' ||
      field(attachment, 'contentType') !== 'application/vnd.microsoft.card.adaptive' ||
      field(attachment, 'content', 'type') !== 'AdaptiveCard'
    )
      return errorAnswer(400);
    cards.push(field(attachment, 'content'));
    return { status: 202 };
  });
  return {
    ...standIn,
    url: `${standIn.origin}${path}?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=${sig}`,
    sig,
    cards,
    errorAnswer,
  };
}

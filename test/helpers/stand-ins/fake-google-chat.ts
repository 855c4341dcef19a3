import { field, startStandIn, type StandIn, type StandInAnswer } from './start-stand-in';

/** A message the fake space holds. */
export interface GoogleChatMessage {
  name: string;
  thread: { name: string; threadKey: string | undefined };
  text: unknown;
  cardsV2: unknown;
}

/** A stand-in for a Google Chat space's incoming webhook (`spaces.messages.create`). */
export interface FakeGoogleChat extends StandIn {
  url: string;
  key: string;
  token: string;
  messages: GoogleChatMessage[];
  /** Thread name by thread key. */
  threads: Map<string, string>;
  errorAnswer(status: number, retryAfter?: string): StandInAnswer;
}

/**
 * Answers 200 with the created Message. With `messageReplyOption=REPLY_MESSAGE_FALLBACK_TO_NEW_THREAD`
 * a `thread.threadKey` seen before replies in that thread, a new one starts a thread; without it the
 * key is ignored (each message its own thread), as Google Chat does. Errors are Google's
 * `{ error: { code, message, status } }`; a wrong key or token is 400/401, a message without text or
 * cards 400, throttling 429 RESOURCE_EXHAUSTED.
 * https://developers.google.com/workspace/chat/api/reference/rest/v1/spaces.messages/create
 */
export async function startFakeGoogleChat(): Promise<FakeGoogleChat> {
  const space = 'AAAAx1y2z3';
  const key = 'AIzaSyDdI0hCZtE6vySjMm-WEfRq3CPzqKqqsHI';
  const token = 'gchatTOKEN_abcdefghijklmnopqrstuvwxyz0123456789';
  const messages: GoogleChatMessage[] = [];
  const threads = new Map<string, string>();
  const statusNames: Record<number, string> = {
    400: 'INVALID_ARGUMENT',
    401: 'UNAUTHENTICATED',
    403: 'PERMISSION_DENIED',
    404: 'NOT_FOUND',
    413: 'INVALID_ARGUMENT',
    429: 'RESOURCE_EXHAUSTED',
    500: 'INTERNAL',
    503: 'UNAVAILABLE',
  };
  const errorAnswer = (status: number, retryAfter?: string): StandInAnswer => ({
    status,
    headers: retryAfter === undefined ? {} : { 'retry-after': retryAfter },
    body: {
      error: {
        code: status,
        message:
          status === 429
            ? 'Resource has been exhausted (e.g. check quota).'
            : status === 401
              ? 'Request had invalid authentication credentials.'
              : status === 413
                ? 'Request payload size exceeds the limit.'
                : 'Request contains an invalid argument.',
        status: statusNames[status] ?? 'UNKNOWN',
      },
    },
  });
  let n = 0;
  const standIn = await startStandIn((request) => {
    if (request.method !== 'POST' || request.path !== `/v1/spaces/${space}/messages`) return errorAnswer(404);
    if (request.query.get('key') !== key || request.query.get('token') !== token) return errorAnswer(401);
    const text = field(request.json, 'text');
    const cards = field(request.json, 'cardsV2');
    if (text === undefined && cards === undefined) return errorAnswer(400);
    const threadKey = field(request.json, 'thread', 'threadKey');
    const replies = request.query.get('messageReplyOption') === 'REPLY_MESSAGE_FALLBACK_TO_NEW_THREAD';
    n += 1;
    let thread = `spaces/${space}/threads/t${n}`;
    if (replies && typeof threadKey === 'string') {
      thread = threads.get(threadKey) ?? thread;
      threads.set(threadKey, thread);
    }
    const message: GoogleChatMessage = {
      name: `spaces/${space}/messages/m${n}`,
      thread: { name: thread, threadKey: typeof threadKey === 'string' ? threadKey : undefined },
      text,
      cardsV2: cards,
    };
    messages.push(message);
    return {
      status: 200,
      body: { ...message, space: { name: `spaces/${space}` }, createTime: new Date().toISOString() },
    };
  });
  return {
    ...standIn,
    url: `${standIn.origin}/v1/spaces/${space}/messages?key=${key}&token=${token}`,
    key,
    token,
    messages,
    threads,
    errorAnswer,
  };
}

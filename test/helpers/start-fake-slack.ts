import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parse as parseQuery } from 'node:querystring';

/** One Web API call as the fake saw it; `blocks` and `attachments` parsed from their JSON. */
export interface SlackCall {
  method: string;
  /** The bearer token sent, if any. */
  token: string | undefined;
  args: Record<string, unknown>;
  /** When it arrived (Date.now()). */
  at: number;
  /** The HTTP status and body it was answered with. */
  status: number;
  answer: unknown;
}

/** A message the fake holds, with every version it had. */
export interface FakeSlackMessage {
  channel: string;
  ts: string;
  threadTs: string | undefined;
  replyBroadcast: boolean;
  text: string | undefined;
  blocks: unknown;
  attachments: unknown;
  /** How many times chat.update changed it. */
  updates: number;
}

/** A scripted answer for the next call of a method, instead of the fake's normal behaviour. */
export type FakeSlackAnswer =
  { error: string } | { rateLimited: number } | { status: number; body?: string } | { delayMs: number };

/** A local stand-in for Slack's Web API: chat.postMessage and chat.update, with Slack's answers and limits. */
export interface FakeSlack {
  /** Base URL for `apiUrl` / `slackApiUrl` (ends with `/api/`). */
  apiUrl: string;
  calls: SlackCall[];
  /** Messages by `${channelId}/${ts}`, replies included. */
  messages: Map<string, FakeSlackMessage>;
  /** The channel id a name (`#ci`, `ci`) resolves to. */
  channelId(name: string): string;
  /** Answers the next calls of `method` with `answers`, in turn (then normally again). */
  answerNext(method: string, ...answers: FakeSlackAnswer[]): void;
  /** Top-level messages (not thread replies) of a channel. */
  topLevel(channel: string): FakeSlackMessage[];
  /** Replies in the thread of `ts`. */
  replies(channel: string, ts: string): FakeSlackMessage[];
  /** Calls of `method`; those with `thread_ts` or without it when `thread` says so. */
  callsOf(method: string, thread?: boolean): SlackCall[];
  /** Connections open right now. */
  openConnections(): Promise<number>;
  close(): Promise<void>;
}

// Block Kit limits the fake enforces, as Slack does. https://docs.slack.dev/reference/block-kit/blocks
const maxBlocks = 50;
const maxSectionText = 3000;
const maxFieldText = 2000;
const maxText = 40_000;

function blockProblem(blocks: unknown): string | undefined {
  if (blocks === undefined) return undefined;
  if (!Array.isArray(blocks)) return 'invalid_blocks_format';
  if (blocks.length > maxBlocks) return 'invalid_blocks';
  for (const block of blocks as Array<Record<string, unknown>>) {
    if (block.type === 'section') {
      const text = (block.text as { text?: string } | undefined)?.text;
      const fields = block.fields as Array<{ text: string }> | undefined;
      if (text === undefined && fields === undefined) return 'invalid_blocks';
      if (text !== undefined && (text.length === 0 || text.length > maxSectionText)) return 'invalid_blocks';
      if (fields && (fields.length > 10 || fields.some((f) => f.text.length > maxFieldText)))
        return 'invalid_blocks';
    } else if (block.type === 'context') {
      const elements = block.elements as unknown[] | undefined;
      if (!elements || elements.length === 0 || elements.length > 10) return 'invalid_blocks';
    }
  }
  return undefined;
}

/** Starts the fake on a free port of 127.0.0.1. Only `token` authenticates (`invalid_auth` otherwise). */
export async function startFakeSlack(options: { token?: string } = {}): Promise<FakeSlack> {
  const calls: SlackCall[] = [];
  const messages = new Map<string, FakeSlackMessage>();
  const scripted = new Map<string, FakeSlackAnswer[]>();
  const channels = new Map<string, string>();
  let clock = 1_700_000_000;

  const channelId = (name: string) => {
    if (/^[CGD][A-Z0-9]+$/.test(name)) return name;
    const bare = name.replace(/^#/, '');
    let id = channels.get(bare);
    if (!id) {
      id = `C${String(channels.size + 1).padStart(8, '0')}`;
      channels.set(bare, id);
    }
    return id;
  };
  const knownId = (id: string) => [...channels.values()].includes(id) || /^[CGD][A-Z0-9]+$/.test(id);

  const handle = (method: string, args: Record<string, unknown>): [number, unknown] => {
    const str = (key: string) => (typeof args[key] === 'string' ? (args[key] as string) : undefined);
    const text = str('text');
    const problem =
      blockProblem(args.blocks) ??
      (Array.isArray(args.attachments)
        ? (args.attachments as Array<{ blocks?: unknown }>).map((a) => blockProblem(a.blocks)).find(Boolean)
        : undefined);
    if (method === 'chat.postMessage') {
      const channel = str('channel');
      if (channel === undefined) return [200, { ok: false, error: 'channel_not_found' }];
      if (text === undefined && args.blocks === undefined && args.attachments === undefined)
        return [200, { ok: false, error: 'no_text' }];
      if (text !== undefined && text.length > maxText) return [200, { ok: false, error: 'msg_too_long' }];
      if (problem) return [200, { ok: false, error: problem }];
      const id = channelId(channel);
      const threadTs = str('thread_ts');
      if (threadTs !== undefined && !messages.has(`${id}/${threadTs}`))
        return [200, { ok: false, error: 'thread_not_found' }];
      clock += 1;
      const ts = `${clock}.000100`;
      const message: FakeSlackMessage = {
        channel: id,
        ts,
        threadTs,
        replyBroadcast: args.reply_broadcast === true || args.reply_broadcast === 'true',
        text,
        blocks: args.blocks,
        attachments: args.attachments,
        updates: 0,
      };
      messages.set(`${id}/${ts}`, message);
      return [200, { ok: true, channel: id, ts, message: { text, ts } }];
    }
    if (method === 'chat.update') {
      const channel = str('channel') ?? '';
      const ts = str('ts') ?? '';
      // chat.update takes a channel id, not a #name.
      if (!knownId(channel)) return [200, { ok: false, error: 'channel_not_found' }];
      const message = messages.get(`${channel}/${ts}`);
      if (!message) return [200, { ok: false, error: 'message_not_found' }];
      if (problem) return [200, { ok: false, error: problem }];
      message.text = text;
      message.blocks = args.blocks;
      message.attachments = args.attachments;
      message.updates += 1;
      return [200, { ok: true, channel, ts, text }];
    }
    return [200, { ok: false, error: 'unknown_method' }];
  };

  const respond = async (req: IncomingMessage, res: ServerResponse, body: string) => {
    const method = (req.url ?? '').replace(/^\/api\//, '').split('?')[0] ?? '';
    const raw: Record<string, unknown> = (req.headers['content-type'] ?? '').includes('json')
      ? (JSON.parse(body || '{}') as Record<string, unknown>)
      : { ...parseQuery(body) };
    const args: Record<string, unknown> = { ...raw };
    for (const key of ['blocks', 'attachments'])
      if (typeof args[key] === 'string') args[key] = JSON.parse(args[key] as string);
    const auth = req.headers.authorization;
    const token = auth?.startsWith('Bearer ') ? auth.slice('Bearer '.length) : undefined;
    const call: SlackCall = { method, token, args, at: Date.now(), status: 200, answer: undefined };
    calls.push(call);
    const send = (status: number, answer: unknown, headers: Record<string, string> = {}) => {
      call.status = status;
      call.answer = answer;
      const text = typeof answer === 'string' ? answer : JSON.stringify(answer);
      res.writeHead(status, {
        'content-type': typeof answer === 'string' ? 'text/plain' : 'application/json; charset=utf-8',
        ...headers,
      });
      res.end(text);
    };

    const next = scripted.get(method)?.shift();
    if (next && 'delayMs' in next) await new Promise((r) => setTimeout(r, next.delayMs));
    else if (next && 'error' in next) return send(200, { ok: false, error: next.error });
    else if (next && 'rateLimited' in next)
      return send(429, { ok: false, error: 'ratelimited' }, { 'retry-after': String(next.rateLimited) });
    else if (next && 'status' in next) return send(next.status, next.body ?? 'upstream trouble');

    if (options.token !== undefined && token !== options.token)
      return send(200, { ok: false, error: token === undefined ? 'not_authed' : 'invalid_auth' });
    const [status, answer] = handle(method, args);
    send(status, answer);
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      respond(req, res, Buffer.concat(chunks).toString('utf8')).catch((err: unknown) => {
        res.writeHead(500);
        res.end(String(err));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const all = () => [...messages.values()];
  return {
    apiUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/`,
    calls,
    messages,
    channelId,
    answerNext(method, ...answers) {
      scripted.set(method, [...(scripted.get(method) ?? []), ...answers]);
    },
    topLevel: (channel) => all().filter((m) => m.channel === channelId(channel) && m.threadTs === undefined),
    replies: (channel, ts) => all().filter((m) => m.channel === channelId(channel) && m.threadTs === ts),
    callsOf: (method, thread) =>
      calls.filter(
        (c) => c.method === method && (thread === undefined || (c.args.thread_ts !== undefined) === thread),
      ),
    openConnections: () =>
      new Promise<number>((resolve, reject) =>
        server.getConnections((error, count) => (error ? reject(error) : resolve(count))),
      ),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

import { request } from 'node:http';

/** One Server-Sent Event as a client parsed it. */
export interface SseMessage {
  id?: string;
  event: string;
  data: unknown;
}

/** An open SSE connection: the messages so far, parsed as they arrive. */
export interface SseClient {
  status: number;
  messages: SseMessage[];
  /** Comment lines seen (keep-alives). */
  comments: number;
  close(): void;
}

/** Opens `url` as an event stream with `headers`; resolves once the answer's headers are in. */
export function readSse(url: string, headers: Record<string, string>): Promise<SseClient> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { accept: 'text/event-stream', ...headers } }, (res) => {
      const client: SseClient = {
        status: res.statusCode ?? 0,
        messages: [],
        comments: 0,
        close: () => {
          res.destroy();
          req.destroy();
        },
      };
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const message: { id?: string; event: string; data: string[] } = { event: 'message', data: [] };
          let fields = 0;
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) {
              client.comments++;
              continue;
            }
            const colon = line.indexOf(':');
            const name = colon < 0 ? line : line.slice(0, colon);
            const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
            fields++;
            if (name === 'id') message.id = value;
            else if (name === 'event') message.event = value;
            else if (name === 'data') message.data.push(value);
          }
          if (fields > 0 && message.data.length > 0)
            client.messages.push({
              ...(message.id !== undefined && { id: message.id }),
              event: message.event,
              data: JSON.parse(message.data.join('\n')) as unknown,
            });
        }
      });
      res.on('error', () => undefined);
      resolve(client);
    });
    req.on('error', reject);
    req.end();
  });
}

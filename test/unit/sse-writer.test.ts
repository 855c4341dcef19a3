import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startSse, type SseWriter } from '../../src/api/sse-writer';
import { readSse } from '../helpers/read-sse';
import { waitFor } from '../helpers/start-test-relay';

describe('Server-Sent Events writer', () => {
  let server: Server;
  let writer: SseWriter | undefined;

  afterEach(async () => {
    writer?.close();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('writes id, event and one JSON data line, and comment lines while quiet', async () => {
    server = createServer((_req, res) => {
      writer = startSse(res, 20);
      writer.send('ci-event', '1-0', { text: 'two\nlines' });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const client = await readSse(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`, {});
    assert.equal(client.status, 200);
    await waitFor(() => client.messages.length === 1 && client.comments >= 3);
    assert.deepEqual(client.messages[0], { id: '1-0', event: 'ci-event', data: { text: 'two\nlines' } });
    client.close();
  });
});

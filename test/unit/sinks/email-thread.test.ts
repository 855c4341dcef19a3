import assert from 'node:assert/strict';
import { messageIdDomain, runThreadId, threadHeaders } from '../../../sinks/email/thread-headers';
import { sampleEvent } from '../../helpers/sample-event';

describe('email threading headers', () => {
  const failed = sampleEvent();
  const rerun = sampleEvent({
    id: '01HZY3KQ8J4V5W6X7Y8Z9A0B2D',
    status: 'success',
    transition: 'fixed',
    pipeline: { ...failed.pipeline, attempt: 2 },
  });
  const started = sampleEvent({ id: '01HZY3KQ8J4V5W6X7Y8Z9A0B0A', status: 'running' });

  it('mints Message-IDs under the domain of the from address', () => {
    assert.equal(messageIdDomain('ci-relay <ci@Example.COM>'), 'example.com');
    assert.equal(messageIdDomain('ci@mail.acme.example'), 'mail.acme.example');
    assert.equal(messageIdDomain('not an address'), 'ci-relay');
  });

  it('gives each notification its own Message-ID, the same on every retry', () => {
    const a = threadHeaders('msg_0123abcd', failed, 'example.com');
    assert.equal(a.messageId, '<msg_0123abcd@example.com>');
    assert.deepEqual(threadHeaders('msg_0123abcd', failed, 'example.com'), a);
    assert.notEqual(threadHeaders('msg_other', rerun, 'example.com').messageId, a.messageId);
    assert.equal(threadHeaders('msg a<b>', failed, 'x.io').messageId, '<msg-a-b-@x.io>');
  });

  it('points every mail of a run, re-runs included, at one root', () => {
    const root = runThreadId(failed, 'example.com');
    assert.match(root, /^<run\.[0-9a-f]{32}@example\.com>$/);
    for (const [id, event] of [
      ['msg_1', started],
      ['msg_2', failed],
      ['msg_3', rerun],
    ] as const) {
      const h = threadHeaders(id, event, 'example.com');
      assert.equal(h.inReplyTo, root);
      assert.equal(h.references, root);
      assert.notEqual(h.messageId, root);
    }
  });

  it('keeps other runs, repositories and sources apart', () => {
    const root = runThreadId(failed, 'example.com');
    const other = [
      sampleEvent({ pipeline: { ...failed.pipeline, id: '9012345679' } }),
      sampleEvent({ repository: { name: 'acme/api' } }),
      sampleEvent({ source: 'github-enterprise' }),
    ];
    for (const event of other) assert.notEqual(runThreadId(event, 'example.com'), root);
  });

  it('gives Outlook one Thread-Index conversation GUID and Thread-Topic per run', () => {
    const a = threadHeaders('msg_1', failed, 'example.com').headers;
    const b = threadHeaders('msg_2', rerun, 'example.com').headers;
    const guid = (index: string) => Buffer.from(index, 'base64').subarray(6).toString('hex');
    assert.equal(Buffer.from(a['Thread-Index'], 'base64').length, 22);
    assert.equal(Buffer.from(a['Thread-Index'], 'base64')[0], 1);
    assert.equal(guid(a['Thread-Index']), guid(b['Thread-Index']));
    assert.equal(a['Thread-Topic'], '[acme/web] CI #1234');
    assert.equal(b['Thread-Topic'], a['Thread-Topic']);
    const other = threadHeaders(
      'msg_3',
      sampleEvent({ pipeline: { ...failed.pipeline, id: '7' } }),
      'example.com',
    );
    assert.notEqual(guid(other.headers['Thread-Index']), guid(a['Thread-Index']));
  });
});

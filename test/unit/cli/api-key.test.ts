import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { apiKeyLines, newApiKey, parseScopes } from '../../../src/cli/api-key';
import { parseConfig } from '../../../src/config/load-config';

describe('ci-relay api-key', () => {
  it('makes a cir_ key of 32 random bytes and its SHA-256', () => {
    const k = newApiKey({ id: 'dashboard', scopes: ['read'] });
    assert.match(k.key, /^cir_[A-Za-z0-9_-]{43}$/);
    assert.equal(Buffer.from(k.key.slice(4), 'base64url').length, 32);
    assert.equal(k.sha256, createHash('sha256').update(k.key).digest('hex'));
    assert.notEqual(newApiKey().key, k.key);
  });

  it('prints lines that, pasted under api.keys, make a valid config holding that hash', () => {
    const k = newApiKey({ id: 'ops', scopes: parseScopes('write,read') });
    const lines = apiKeyLines(k);
    assert.equal(lines.filter((l) => l.includes(k.key)).length, 1);
    assert.ok(lines.some((l) => /shown only this once/.test(l)));
    const pasted = lines.filter((l) => /^ {4}- id:|^ {6}(sha256|scopes):/.test(l));
    assert.equal(pasted.length, 3);
    const yaml = `version: 1
sources: [{ id: ci, provider: generic, insecure: true }]
sinks: []
routes: []
api:
  keys:
${pasted.join('\n')}
`;
    const config = parseConfig(yaml, 'pasted.yaml', {});
    const key = config.api?.keys[0];
    assert.equal(key?.id, 'ops');
    assert.equal(key.sha256.toString('hex'), k.sha256);
    assert.deepEqual([...key.scopes], ['read', 'write']);
  });

  it('defaults to a generated id and the read scope', () => {
    const k = newApiKey();
    assert.match(k.id, /^key-[0-9a-f]{6}$/);
    assert.deepEqual(k.scopes, ['read']);
  });

  it('refuses unknown scopes and bad ids', () => {
    assert.throws(
      () => parseScopes('read,admin'),
      /\[api-key\] unknown scope "admin"; scopes are read, write/,
    );
    assert.throws(() => parseScopes(' , '), /no scopes given/);
    assert.throws(() => newApiKey({ id: 'has space' }), /\[api-key\] id "has space" must be/);
  });
});

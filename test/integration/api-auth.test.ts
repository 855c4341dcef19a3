import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import express from 'express';
import { Redis } from 'ioredis';
import request from 'supertest';
import { createApiAuth, type ApiAuth, type ApiPrincipal } from '../../src/api/create-api-auth';
import { createConfigStore, type ConfigStore } from '../../src/config/config-store';
import { createLogger } from '../../src/log/create-logger';
import { startOAuthIssuer, type OAuthIssuer } from '../helpers/start-oauth-issuer';
import { startRedis, type TestRedis } from '../helpers/start-redis';

const readKey = 'cir_read-only-key-0123456789abcdefghijklmnop';
const opsKey = 'cir_ops-key-from-the-environment-0123456789';
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

const base = `version: 1
sources: [{ id: ci, provider: generic, insecure: true }]
sinks: []
routes: []
`;
const keys = `  keys:
    - { id: dashboard, sha256: '${sha256(readKey)}', scopes: [read] }
    - { id: ops, key: '\${OPS_KEY}', scopes: [read, write] }
`;

interface Harness {
  app: express.Express;
  auth: ApiAuth;
  store: ConfigStore;
  file: string;
  logLines: string[];
}

describe('createApiAuth (keys, scopes, rate limits, OAuth)', function () {
  this.timeout(30_000);
  let redis: TestRedis;
  let clients: Redis[] = [];
  let harnesses: Harness[] = [];
  let prefix: string;
  let issuer: OAuthIssuer;

  before(async () => {
    redis = await startRedis();
    issuer = await startOAuthIssuer('ci-relay');
  });
  after(async () => {
    await issuer.close();
    await redis.stop();
  });
  beforeEach(() => {
    prefix = `test-${randomUUID()}`;
  });
  afterEach(async () => {
    for (const h of harnesses) {
      h.auth.close();
      h.store.close();
    }
    harnesses = [];
    await Promise.all(clients.map((c) => c.quit().catch(() => c.disconnect())));
    clients = [];
  });

  /** An auth on `yaml` and a tiny app: GET /v1/things needs read, POST /v1/things needs write. */
  function harness(yaml: string, options: { file?: string; client?: Redis } = {}): Harness {
    const file = options.file ?? join(mkdtempSync(join(tmpdir(), 'ci-relay-api-')), 'relay.yaml');
    if (!options.file) writeFileSync(file, yaml);
    const logLines: string[] = [];
    const log = createLogger(
      'debug',
      new Writable({
        write(chunk: Buffer, _enc, done) {
          logLines.push(chunk.toString('utf8'));
          done();
        },
      }),
    );
    const store = createConfigStore(file, { log, watchFile: false, env: { OPS_KEY: opsKey } });
    const client = options.client ?? new Redis(redis.url);
    clients.push(client);
    const auth = createApiAuth({ configStore: store, redis: client, prefix, log, jwksCooldownMs: 0 });
    const app = express();
    const answer: express.RequestHandler = (_req, res) => {
      const principal = res.locals.principal as ApiPrincipal;
      res.json({ id: principal.id, kind: principal.kind, scopes: [...principal.scopes] });
    };
    app.get('/v1/things', auth.authorize('read'), answer);
    app.post('/v1/things', auth.authorize('write'), answer);
    const h = { app, auth, store, file, logLines };
    harnesses.push(h);
    return h;
  }

  it('answers 404 not_found on every route when the config has no api section', async () => {
    const { app } = harness(base);
    const res = await request(app).get('/v1/things').set('authorization', `Bearer ${readKey}`).expect(404);
    assert.equal(res.body.error.code, 'not_found');
  });

  it('answers 401 with WWW-Authenticate: Bearer for a missing, malformed or unknown key', async () => {
    const { app } = harness(`${base}api:\n${keys}`);
    for (const header of [
      undefined,
      `Basic ${Buffer.from('a:b').toString('base64')}`,
      'Bearer',
      'Bearer cir_unknown-key-0000000000000000',
    ]) {
      const req = request(app).get('/v1/things');
      if (header !== undefined) req.set('authorization', header);
      const res = await req.expect(401);
      assert.equal(res.body.error.code, 'unauthorized', String(header));
      assert.match(String(res.headers['www-authenticate']), /^Bearer /);
      assert.equal(res.headers['ratelimit-limit'], undefined);
    }
  });

  it('lets a key with the scope through, with the principal and RateLimit-* headers', async () => {
    const { app } = harness(`${base}api:\n${keys}`);
    const res = await request(app).get('/v1/things').set('authorization', `Bearer ${readKey}`).expect(200);
    assert.deepEqual(res.body, { id: 'dashboard', kind: 'key', scopes: ['read'] });
    assert.equal(res.headers['ratelimit-limit'], '600');
    assert.equal(res.headers['ratelimit-remaining'], '599');
    assert.ok(Number(res.headers['ratelimit-reset']) >= 1 && Number(res.headers['ratelimit-reset']) <= 60);
    // A key given in the clear (from the environment) works as well; the scheme is case-insensitive.
    const ops = await request(app).post('/v1/things').set('authorization', `bearer ${opsKey}`).expect(200);
    assert.deepEqual(ops.body, { id: 'ops', kind: 'key', scopes: ['read', 'write'] });
  });

  it('answers 403 forbidden to a known key without the scope, with RateLimit-* headers', async () => {
    const { app } = harness(`${base}api:\n${keys}`);
    const res = await request(app).post('/v1/things').set('authorization', `Bearer ${readKey}`).expect(403);
    assert.equal(res.body.error.code, 'forbidden');
    assert.equal(res.headers['ratelimit-limit'], '600');
    assert.equal(res.headers['ratelimit-remaining'], '599');
  });

  it('answers 429 rate_limited with Retry-After over the limit, counted in Redis across instances', async () => {
    const yaml = `${base}api:\n${keys}  rateLimit: { requests: 3, perSeconds: 60 }\n`;
    const a = harness(yaml);
    const b = harness(yaml);
    const get = (app: express.Express, key = readKey) =>
      request(app).get('/v1/things').set('authorization', `Bearer ${key}`);
    assert.equal((await get(a.app).expect(200)).headers['ratelimit-remaining'], '2');
    assert.equal((await get(b.app).expect(200)).headers['ratelimit-remaining'], '1');
    assert.equal((await get(a.app).expect(200)).headers['ratelimit-remaining'], '0');
    const limited = await get(b.app).expect(429);
    assert.equal(limited.body.error.code, 'rate_limited');
    assert.equal(limited.headers['ratelimit-limit'], '3');
    assert.equal(limited.headers['ratelimit-remaining'], '0');
    const retryAfter = Number(limited.headers['retry-after']);
    assert.ok(retryAfter >= 1 && retryAfter <= 60, String(retryAfter));
    assert.equal(limited.headers['ratelimit-reset'], String(retryAfter));
    // Per principal: another key has its own allowance.
    await get(a.app, opsKey).expect(200);
  });

  it('still limits, per instance, while Redis cannot be reached', async () => {
    // Like the relay's producer connection: no offline queue, so a command fails at once.
    const down = new Redis({
      port: 1,
      lazyConnect: true,
      enableOfflineQueue: false,
      retryStrategy: () => null,
    });
    down.on('error', () => undefined);
    const h = harness(`${base}api:\n${keys}  rateLimit: { requests: 2, perSeconds: 60 }\n`, { client: down });
    const get = () => request(h.app).get('/v1/things').set('authorization', `Bearer ${readKey}`);
    await get().expect(200);
    assert.equal((await get().expect(200)).headers['ratelimit-remaining'], '0');
    await get().expect(429);
  });

  it('follows a reloaded config: new keys and a new rate limit take effect', async () => {
    const h = harness(`${base}api:\n${keys}  rateLimit: { requests: 100, perSeconds: 60 }\n`);
    const get = () => request(h.app).get('/v1/things').set('authorization', `Bearer ${readKey}`);
    assert.equal((await get().expect(200)).headers['ratelimit-limit'], '100');
    writeFileSync(
      h.file,
      `${base}api:\n  keys: [{ id: dashboard, sha256: '${sha256(readKey)}', scopes: [read] }]\n  rateLimit: { requests: 1, perSeconds: 60 }\n`,
    );
    assert.equal(h.store.reload(), true);
    assert.equal((await get().expect(200)).headers['ratelimit-limit'], '1');
    await get().expect(429);
    await request(h.app).get('/v1/things').set('authorization', `Bearer ${opsKey}`).expect(401);
    writeFileSync(h.file, base);
    assert.equal(h.store.reload(), true);
    await get().expect(404);
  });

  describe('OAuth bearer tokens (JWT)', () => {
    const oauth = (jwksUri: boolean, claim = 'scope') =>
      `${base}api:
  oauth:
    issuer: '${issuer.url}'
    audience: ci-relay
${jwksUri ? `    jwksUri: '${issuer.jwksUri}'\n` : ''}    scopes: { claim: ${claim}, read: 'ci-relay:read', write: 'ci-relay:write' }
`;
    const get = (app: express.Express, token: string) =>
      request(app).get('/v1/things').set('authorization', `Bearer ${token}`);

    it('accepts a valid token: subject as principal, scopes from the claim (issuer discovery)', async () => {
      const { app } = harness(oauth(false));
      const token = await issuer.sign({ sub: 'alice', scope: 'openid ci-relay:read' });
      const res = await get(app, token).expect(200);
      assert.deepEqual(res.body, { id: 'oauth:alice', kind: 'oauth', scopes: ['read'] });
      assert.equal(res.headers['ratelimit-limit'], '600');
      await request(app).post('/v1/things').set('authorization', `Bearer ${token}`).expect(403);
    });

    it('reads scopes from a list claim, and a dotted path (jwksUri given)', async () => {
      const list = harness(oauth(true, 'scp'));
      const token = await issuer.sign({ sub: 'svc', scp: ['ci-relay:read', 'ci-relay:write'] });
      assert.deepEqual((await get(list.app, token).expect(200)).body.scopes, ['read', 'write']);
      const nested = harness(oauth(true, 'realm_access.roles'));
      const keycloak = await issuer.sign({ sub: 'kc', realm_access: { roles: ['ci-relay:write'] } });
      await request(nested.app).post('/v1/things').set('authorization', `Bearer ${keycloak}`).expect(200);
    });

    it('refuses an expired token with 401, but allows 30 s of clock skew', async () => {
      const { app } = harness(oauth(true));
      const nowSeconds = Math.floor(Date.now() / 1000);
      const expired = await issuer.sign(
        { sub: 'alice', scope: 'ci-relay:read' },
        { expiresAt: nowSeconds - 120 },
      );
      const res = await get(app, expired).expect(401);
      assert.equal(res.body.error.code, 'unauthorized');
      assert.match(String(res.headers['www-authenticate']), /^Bearer .*error="invalid_token"/);
      assert.match(res.body.error.message, /exp/);
      const justExpired = await issuer.sign(
        { sub: 'alice', scope: 'ci-relay:read' },
        { expiresAt: nowSeconds - 5 },
      );
      await get(app, justExpired).expect(200);
      const notYet = await issuer.sign(
        { sub: 'alice', scope: 'ci-relay:read' },
        { notBefore: nowSeconds + 600 },
      );
      await get(app, notYet).expect(401);
    });

    it('refuses a wrong audience, a wrong issuer and a wrong signature with 401', async () => {
      const { app } = harness(oauth(true));
      const claims = { sub: 'alice', scope: 'ci-relay:read' };
      for (const token of [
        await issuer.sign(claims, { audience: 'another-api' }),
        await issuer.sign(claims, { issuer: 'https://evil.example.com' }),
        await issuer.sign(claims, { forged: true }),
      ]) {
        const res = await get(app, token).expect(401);
        assert.equal(res.body.error.code, 'unauthorized');
      }
    });

    it('accepts a token signed by a rotated key once the JWKS is fetched again', async () => {
      const { app } = harness(oauth(true));
      await get(app, await issuer.sign({ sub: 'alice', scope: 'ci-relay:read' })).expect(200);
      await get(app, await issuer.sign({ sub: 'bob', scope: 'ci-relay:read' })).expect(200);
      const fetchesBefore = issuer.jwksFetches();
      await issuer.rotate();
      const res = await get(app, await issuer.sign({ sub: 'carol', scope: 'ci-relay:read' })).expect(200);
      assert.equal(res.body.id, 'oauth:carol');
      assert.equal(issuer.jwksFetches(), fetchesBefore + 1);
    });

    it('answers 403 to a valid token without the scope claim', async () => {
      const { app } = harness(oauth(true));
      const res = await get(app, await issuer.sign({ sub: 'alice' })).expect(403);
      assert.equal(res.body.error.code, 'forbidden');
    });

    it('answers 503 unavailable while the issuer cannot be reached', async () => {
      const unreachable = `${base}api:
  oauth:
    issuer: 'http://127.0.0.1:1'
    audience: ci-relay
    scopes: { read: 'ci-relay:read', write: 'ci-relay:write' }
`;
      const { app } = harness(unreachable);
      const res = await get(app, await issuer.sign({ sub: 'alice', scope: 'ci-relay:read' })).expect(503);
      assert.equal(res.body.error.code, 'unavailable');
    });

    it('answers 401 to a JWT when the config has no oauth', async () => {
      const { app } = harness(`${base}api:\n${keys}`);
      await get(app, await issuer.sign({ sub: 'alice', scope: 'ci-relay:read' })).expect(401);
    });
  });

  it('never writes a key or token to the log or an answer; authorization headers are redacted', async () => {
    const h = harness(
      `${base}api:\n${keys}  rateLimit: { requests: 2, perSeconds: 60 }\n  oauth:\n    issuer: '${issuer.url}'\n    audience: ci-relay\n    scopes: { read: 'ci-relay:read', write: 'ci-relay:write' }\n`,
    );
    const token = await issuer.sign({ sub: 'alice', scope: 'ci-relay:read' });
    const expired = await issuer.sign({ sub: 'alice' }, { expiresAt: Math.floor(Date.now() / 1000) - 600 });
    const bodies: string[] = [];
    for (const [method, key] of [
      ['get', readKey],
      ['post', readKey],
      ['get', readKey],
      ['get', 'cir_not-a-configured-key-000000000000000'],
      ['get', token],
      ['post', token],
      ['get', expired],
    ] as const) {
      const res = await request(h.app)[method]('/v1/things').set('authorization', `Bearer ${key}`);
      bodies.push(res.text);
    }
    // Something is logged about these requests (403, 429, 401), and it names the key id, never the key.
    const log = h.logLines.join('');
    assert.match(log, /"principal":"dashboard"/);
    assert.match(log, /rate limited/);
    const { logLines } = h;
    const logger = createLogger(
      'debug',
      new Writable({
        write(chunk: Buffer, _enc, done) {
          logLines.push(chunk.toString('utf8'));
          done();
        },
      }),
    );
    logger.info({ headers: { authorization: `Bearer ${readKey}` } }, 'request');
    logger.info({ req: { headers: { authorization: `Bearer ${token}` } } }, 'request');
    logger.info({ authorization: `Bearer ${opsKey}` }, 'request');
    const all = [...logLines, ...bodies].join('\n');
    for (const secret of [readKey, opsKey, token, expired, 'cir_not-a-configured-key'])
      assert.ok(!all.includes(secret), `a secret leaked: ${secret.slice(0, 12)}...`);
    assert.equal(logLines.slice(-3).filter((l) => l.includes('<secret>')).length, 3);
  });
});

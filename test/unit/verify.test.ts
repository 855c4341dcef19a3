import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { safeEqual } from '../../src/verify/safe-equal';
import { verifyBasicAuth } from '../../src/verify/verify-basic-auth';
import { verifyHmacHex } from '../../src/verify/verify-hmac';

function basic(credentials: string): string {
  return `Basic ${Buffer.from(credentials, 'utf8').toString('base64')}`;
}

describe('verify', () => {
  describe('verifyHmacHex', () => {
    const body = Buffer.from('{"action":"completed"}');
    const hmacHex = (secret: string, algorithm = 'sha256') =>
      createHmac(algorithm, secret).update(body).digest('hex');

    it('accepts the HMAC-SHA256 of the body under the secret', () => {
      assert.equal(verifyHmacHex(['s3cret'], body, hmacHex('s3cret')), true);
      assert.equal(verifyHmacHex(['s3cret'], body.toString('utf8'), hmacHex('s3cret')), true);
    });

    it('accepts upper-case hex', () => {
      assert.equal(verifyHmacHex(['s3cret'], body, hmacHex('s3cret').toUpperCase()), true);
    });

    it('accepts a signature made with any of the secrets (rotation)', () => {
      assert.equal(verifyHmacHex(['new', 'old'], body, hmacHex('old')), true);
      assert.equal(verifyHmacHex(['new', 'old'], body, hmacHex('new')), true);
      assert.equal(verifyHmacHex(['new', 'old'], body, hmacHex('other')), false);
      assert.equal(verifyHmacHex([], body, hmacHex('new')), false);
    });

    it('refuses a signature of another body', () => {
      const other = createHmac('sha256', 's3cret').update('{}').digest('hex');
      assert.equal(verifyHmacHex(['s3cret'], body, other), false);
    });

    it('refuses hex of the wrong length without throwing', () => {
      const good = hmacHex('s3cret');
      for (const offered of [
        good.slice(0, -2),
        good.slice(0, -1),
        `${good}0`,
        `${good}00`,
        good.slice(0, 2),
      ]) {
        assert.equal(verifyHmacHex(['s3cret'], body, offered), false, `${offered.length} hex digits`);
      }
    });

    it('refuses values that are not hex', () => {
      const good = hmacHex('s3cret');
      for (const offered of ['', `sha256=${good}`, `${good.slice(0, -1)}g`, ` ${good}`, 'zz']) {
        assert.equal(verifyHmacHex(['s3cret'], body, offered), false, JSON.stringify(offered));
      }
    });

    it('verifies other algorithms (sha1, sha512) when asked', () => {
      assert.equal(verifyHmacHex(['s3cret'], body, hmacHex('s3cret', 'sha1'), 'sha1'), true);
      assert.equal(verifyHmacHex(['s3cret'], body, hmacHex('s3cret', 'sha512'), 'sha512'), true);
      // A SHA-1 digest is not a SHA-256 one, and vice versa.
      assert.equal(verifyHmacHex(['s3cret'], body, hmacHex('s3cret', 'sha1')), false);
      assert.equal(verifyHmacHex(['s3cret'], body, hmacHex('s3cret'), 'sha1'), false);
    });
  });

  describe('safeEqual', () => {
    it('is true for equal strings', () => {
      assert.equal(safeEqual('token-123', 'token-123'), true);
      assert.equal(safeEqual('', ''), true);
      assert.equal(safeEqual('päss', 'päss'), true);
    });

    it('is false for different strings, whatever their lengths', () => {
      assert.equal(safeEqual('token-123', 'token-124'), false);
      assert.equal(safeEqual('token', 'token-123'), false);
      assert.equal(safeEqual('token-123', ''), false);
      assert.equal(safeEqual('Token-123', 'token-123'), false);
    });
  });

  describe('verifyBasicAuth', () => {
    const expected = { username: 'relay', password: 'hunter2' };

    it('accepts the right username and password', () => {
      assert.equal(verifyBasicAuth(basic('relay:hunter2'), expected), true);
    });

    it('accepts the scheme name in any case', () => {
      assert.equal(verifyBasicAuth(basic('relay:hunter2').replace('Basic', 'basic'), expected), true);
    });

    it('refuses a wrong username', () => {
      assert.equal(verifyBasicAuth(basic('admin:hunter2'), expected), false);
    });

    it('refuses a wrong password', () => {
      assert.equal(verifyBasicAuth(basic('relay:hunter3'), expected), false);
      assert.equal(verifyBasicAuth(basic('relay:'), expected), false);
    });

    it('splits at the first colon, so a password may contain colons', () => {
      const withColons = { username: 'relay', password: 'a:b:c' };
      assert.equal(verifyBasicAuth(basic('relay:a:b:c'), withColons), true);
      assert.equal(verifyBasicAuth(basic('relay:a:b'), withColons), false);
    });

    it('refuses malformed headers', () => {
      const token = Buffer.from('relay:hunter2').toString('base64');
      for (const header of [
        `Bearer ${token}`,
        'Basic',
        'Basic ',
        'Basic !!!!',
        `Basic ${token} extra`,
        basic('relayhunter2'),
        token,
        '',
      ]) {
        assert.equal(verifyBasicAuth(header, expected), false, JSON.stringify(header));
      }
    });

    it('refuses a missing header', () => {
      assert.equal(verifyBasicAuth(undefined, expected), false);
    });
  });
});

import assert from 'node:assert/strict';
import {
  PermanentDeliveryError,
  RetryableDeliveryError,
  type DeliveryFailureReason,
} from '../../../src/contracts/delivery-errors';
import { classifySmtpError, type SmtpErrorLike } from '../../../sinks/email/classify-smtp-error';

type Expected = { retryable: boolean; reason: DeliveryFailureReason };

const retry = (reason: DeliveryFailureReason): Expected => ({ retryable: true, reason });
const permanent = (reason: DeliveryFailureReason): Expected => ({ retryable: false, reason });

/** What every SMTP reply code should map to, written out independently of the code under test. */
function expectedForReply(code: number): Expected {
  if (code < 500) return retry('serverError');
  if ([530, 534, 535, 538].includes(code)) return permanent('authError');
  if (code === 503) return retry('serverError');
  return permanent('clientError');
}

// nodemailer errors as it builds them (code, responseCode, response, command, originalCode).
const table: Array<[string, SmtpErrorLike, Expected]> = [
  [
    '451 after DATA',
    { code: 'EMESSAGE', responseCode: 451, response: '451 Try again later', command: 'DATA' },
    retry('serverError'),
  ],
  [
    '421 service closing',
    { code: 'EPROTOCOL', responseCode: 421, response: '421 closing' },
    retry('serverError'),
  ],
  ['452 storage at RCPT', { code: 'EENVELOPE', responseCode: 452, command: 'RCPT TO' }, retry('serverError')],
  [
    '454 temporary auth failure',
    { code: 'EAUTH', responseCode: 454, command: 'AUTH PLAIN' },
    retry('serverError'),
  ],
  [
    '550 after DATA',
    { code: 'EMESSAGE', responseCode: 550, response: '550 Message refused', command: 'DATA' },
    permanent('clientError'),
  ],
  [
    '550 every recipient refused',
    { code: 'EENVELOPE', responseCode: 550, command: 'RCPT TO' },
    permanent('clientError'),
  ],
  ['552 too big', { code: 'EMESSAGE', responseCode: 552 }, permanent('clientError')],
  ['554 rejected', { code: 'EMESSAGE', responseCode: 554 }, permanent('clientError')],
  [
    '535 bad credentials',
    { code: 'EAUTH', responseCode: 535, command: 'AUTH PLAIN' },
    permanent('authError'),
  ],
  [
    '530 auth required',
    { code: 'EENVELOPE', responseCode: 530, command: 'MAIL FROM' },
    permanent('authError'),
  ],
  ['5xx to AUTH', { code: 'EAUTH', responseCode: 504, command: 'AUTH XOAUTH2' }, permanent('authError')],
  ['503 bad sequence', { code: 'EPROTOCOL', responseCode: 503 }, retry('serverError')],
  ['EAUTH without a reply', { code: 'EAUTH' }, permanent('authError')],
  ['ENOAUTH (no credentials given)', { code: 'ENOAUTH' }, permanent('authError')],
  ['connection refused', { code: 'ESOCKET', originalCode: 'ECONNREFUSED' }, retry('network')],
  ['connection reset', { code: 'ESOCKET', originalCode: 'ECONNRESET' }, retry('network')],
  ['connection closed', { code: 'ECONNECTION' }, retry('network')],
  ['DNS failure', { code: 'EDNS', originalCode: 'ENOTFOUND' }, retry('network')],
  ['TLS handshake failed', { code: 'ETLS' }, retry('network')],
  [
    'self-signed certificate',
    { code: 'ESOCKET', originalCode: 'DEPTH_ZERO_SELF_SIGNED_CERT' },
    permanent('clientError'),
  ],
  [
    'certificate for another host',
    { code: 'ESOCKET', originalCode: 'ERR_TLS_CERT_ALTNAME_INVALID' },
    permanent('clientError'),
  ],
  ['greeting timeout', { code: 'ETIMEDOUT' }, retry('timeout')],
  ['our own deadline (AbortSignal)', { code: 'EABORT' }, retry('timeout')],
  ['garbled reply', { code: 'EPROTOCOL' }, retry('serverError')],
  ['no recipients', { code: 'EENVELOPE' }, permanent('clientError')],
  ['bad message', { code: 'EMESSAGE' }, permanent('clientError')],
  ['REQUIRETLS not offered', { code: 'EREQUIRETLS' }, permanent('clientError')],
  ['unknown error', {}, retry('network')],
];

describe('classifySmtpError', () => {
  const context = 'email[oncall]';

  for (const [name, err, expected] of table) {
    it(`${name}: ${expected.retryable ? 'retry' : 'permanent'} (${expected.reason})`, () => {
      const cause = Object.assign(new Error(`boom ${name}`), err);
      const error = classifySmtpError(cause, context);
      assert.ok(error instanceof (expected.retryable ? RetryableDeliveryError : PermanentDeliveryError));
      assert.equal(error.retryable, expected.retryable);
      assert.equal(error.reason, expected.reason);
      assert.equal(error.name, expected.retryable ? 'RetryableDeliveryError' : 'PermanentDeliveryError');
      assert.equal(error.status, err.responseCode);
      assert.equal(error.cause, cause, 'keeps the cause');
      assert.ok(error.message.startsWith(`${context}: `), error.message);
      if (err.responseCode !== undefined) assert.match(error.message, new RegExp(`SMTP ${err.responseCode}`));
    });
  }

  it('maps every reply code from 400 to 599: 4xx retry, 5xx permanent (535 auth, 503 retried)', () => {
    for (let code = 400; code <= 599; code++) {
      const error = classifySmtpError(Object.assign(new Error('x'), { responseCode: code }), context);
      const expected = expectedForReply(code);
      assert.equal(error.retryable, expected.retryable, `SMTP ${code}`);
      assert.equal(error.reason, expected.reason, `SMTP ${code}`);
      assert.equal(error.status, code);
    }
  });

  it('says what the server answered, without secrets', () => {
    const err = Object.assign(new Error('Invalid login'), {
      code: 'EAUTH',
      responseCode: 535,
      response: '535 5.7.8 bad password hunter2 for smtp://ci:hunter2@mail.example.com',
      command: 'AUTH PLAIN',
    });
    const redact = (text: string) => text.split('hunter2').join('<secret>');
    const error = classifySmtpError(err, context, redact);
    assert.equal(
      error.message,
      'email[oncall]: SMTP 535 after AUTH (authentication failed): 535 5.7.8 bad password <secret> for smtp://ci:<secret>@mail.example.com',
    );
  });

  it('takes anything thrown, not only errors', () => {
    const error = classifySmtpError('weird', context);
    assert.ok(error instanceof RetryableDeliveryError);
    assert.equal(error.reason, 'network');
  });
});

import {
  PermanentDeliveryError,
  RetryableDeliveryError,
  type DeliveryError,
  type DeliveryFailureReason,
} from '../../src/contracts/delivery-errors';

/** The fields of a nodemailer error the decision reads. */
export interface SmtpErrorLike {
  code?: string | undefined;
  responseCode?: number | undefined;
  response?: string | undefined;
  command?: string | undefined;
  originalCode?: string | undefined;
  message?: string | undefined;
}

// Node's codes for a server certificate that does not verify: retrying meets the same certificate.
const certificateCodes = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

// nodemailer codes for a message or envelope we built wrong, or a setting the server cannot meet.
const permanentCodes = new Set([
  'EENVELOPE',
  'EMESSAGE',
  'ECONFIG',
  'EMAXRECIPIENTS',
  'EREQUIRETLS',
  'EFILEACCESS',
  'EURLACCESS',
]);

// SMTP replies that mean bad credentials or none: 530 authentication required, 534 mechanism too weak,
// 535 credentials invalid (RFC 4954 6).
const authReplies = new Set([530, 534, 535, 538]);

type Decision = { retryable: boolean; reason: DeliveryFailureReason; what: string };

/** What a failed send means: retry or give up, and why. Every branch is one row of the table test. */
function decide(err: SmtpErrorLike): Decision {
  const code = err.responseCode;
  if (code !== undefined && code >= 400 && code < 600) {
    const reply = `SMTP ${code}${err.command ? ` after ${err.command.split(' ')[0]}` : ''}`;
    // 4yz: transient negative completion, the same message may go through later (RFC 5321 4.2.1).
    if (code < 500) return { retryable: true, reason: 'serverError', what: reply };
    if (authReplies.has(code) || err.code === 'EAUTH')
      return { retryable: false, reason: 'authError', what: `${reply} (authentication failed)` };
    // 503 is "bad sequence of commands": the session was in the wrong state, not the message refused;
    // a fresh connection can take it (nodemailer's isPermanentResponseCode agrees).
    if (code === 503) return { retryable: true, reason: 'serverError', what: reply };
    // 5yz: permanent negative completion; sending the same message again is refused again.
    return { retryable: false, reason: 'clientError', what: reply };
  }
  switch (err.code) {
    case 'EAUTH':
    case 'ENOAUTH':
    case 'EOAUTH2':
      return { retryable: false, reason: 'authError', what: 'authentication failed' };
    case 'ETIMEDOUT':
    case 'EABORT':
      return { retryable: true, reason: 'timeout', what: 'the SMTP server did not answer in time' };
    case 'EDNS':
      return { retryable: true, reason: 'network', what: 'the SMTP host name did not resolve' };
    case 'EPROTOCOL':
      return { retryable: true, reason: 'serverError', what: 'the SMTP server answered out of protocol' };
  }
  if (certificateCodes.has(err.originalCode ?? '') || certificateCodes.has(err.code ?? ''))
    return {
      retryable: false,
      reason: 'clientError',
      what: `TLS: the server certificate was refused (${err.originalCode ?? err.code}); see smtp.tls`,
    };
  if (permanentCodes.has(err.code ?? ''))
    return { retryable: false, reason: 'clientError', what: `the message was refused (${err.code})` };
  // ECONNECTION, ESOCKET (connection refused or reset), ETLS, EPROXY and anything unknown: the
  // connection failed, not the message; try again later.
  const detail = err.originalCode ?? err.code;
  return { retryable: true, reason: 'network', what: `connection failed${detail ? ` (${detail})` : ''}` };
}

/**
 * The DeliveryError a failed SMTP send becomes: 4xx replies and connection failures are retried, 5xx
 * replies (535 as authError) and bad credentials are permanent. The message starts with `context`
 * (`email[oncall]`), carries the server's reply, and passes through `redact` so no secret gets out;
 * `cause` keeps the original error.
 */
export function classifySmtpError(
  err: unknown,
  context: string,
  redact: (text: string) => string = (t) => t,
): DeliveryError {
  const e: SmtpErrorLike = err !== null && typeof err === 'object' ? (err as SmtpErrorLike) : {};
  const { retryable, reason, what } = decide(e);
  const reply = e.response?.replace(/\s+/g, ' ').trim().slice(0, 300);
  const message = redact(`${context}: ${what}${reply ? `: ${reply}` : ''}`);
  const options = { cause: err, ...(e.responseCode !== undefined && { status: e.responseCode }) };
  return retryable
    ? new RetryableDeliveryError(message, reason, options)
    : new PermanentDeliveryError(message, reason, options);
}

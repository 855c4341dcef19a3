import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer, type SMTPServerError } from 'smtp-server';

/** One message the server accepted (answered 250 to its DATA). */
export interface ReceivedMail {
  /** MAIL FROM address. */
  from: string | undefined;
  /** RCPT TO addresses the server accepted. */
  to: string[];
  /** The message as mailparser reads it. */
  parsed: ParsedMail;
  /** The raw message. */
  raw: string;
}

/** What the server answers one DATA command: 250 (accept), an error code, or nothing at all (`hang`). */
export type DataAnswer = (attempt: number) => number | 'hang';

export interface TestSmtpServer {
  host: string;
  port: number;
  /** `smtp://127.0.0.1:<port>` (no credentials). */
  url: string;
  /** Messages accepted, in order. */
  mails: ReceivedMail[];
  /** Every DATA the server got, accepted or not. */
  dataAttempts(): number;
  /** The raw message of every DATA, accepted or not, in order. */
  dataRaw: string[];
  /** SMTP connections open right now. */
  openConnections(): Promise<number>;
  /** Successful logins. */
  logins(): number;
  /** SMTP connections opened so far. */
  connections(): number;
  /** Sets how later DATA commands are answered (their attempts counted from 1 again). */
  answerWith(answer: DataAnswer): void;
  close(): Promise<void>;
}

/** Answers the given codes in turn, then 250: `inTurn(451)` refuses the first message once. */
export function inTurn(...codes: number[]): DataAnswer {
  return (attempt) => codes[attempt - 1] ?? 250;
}

/** Answers every DATA with `code` (`hang`: never answers). */
export function always(code: number | 'hang'): DataAnswer {
  return () => code;
}

function smtpError(code: number, text: string): SMTPServerError {
  const error: SMTPServerError = new Error(text);
  error.responseCode = code;
  return error;
}

/**
 * A real SMTP server (smtp-server) on a free port of 127.0.0.1, plain text (no STARTTLS), recording each
 * accepted message parsed by mailparser. With `auth`, it takes AUTH PLAIN/LOGIN with exactly those
 * credentials (535 otherwise) and requires them; `rejectRecipients` are refused with 550 at RCPT TO.
 */
export async function startSmtpServer(
  options: {
    auth?: { user: string; pass: string };
    answer?: DataAnswer;
    rejectRecipients?: string[];
  } = {},
): Promise<TestSmtpServer> {
  const mails: ReceivedMail[] = [];
  const dataRaw: string[] = [];
  let answer = options.answer ?? always(250);
  let attempts = 0;
  // DATA commands seen before the current answer was set; `answer` counts from its own first one.
  let answeredBefore = 0;
  let logins = 0;
  let connections = 0;
  const refused = new Set((options.rejectRecipients ?? []).map((a) => a.toLowerCase()));

  const server = new SMTPServer({
    logger: false,
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    authOptional: options.auth === undefined,
    authMethods: ['PLAIN', 'LOGIN'],
    closeTimeout: 200,
    onConnect(_session, callback) {
      connections++;
      callback();
    },
    onAuth(auth, _session, callback) {
      if (options.auth && auth.username === options.auth.user && auth.password === options.auth.pass) {
        logins++;
        callback(null, { user: auth.username });
      } else callback(smtpError(535, 'Authentication credentials invalid'));
    },
    onRcptTo(address, _session, callback) {
      if (refused.has(address.address.toLowerCase())) callback(smtpError(550, 'No such user here'));
      else callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        attempts++;
        dataRaw.push(Buffer.concat(chunks).toString('utf8'));
        const code = answer(attempts - answeredBefore);
        if (code === 'hang') return;
        if (code >= 400) {
          callback(smtpError(code, code < 500 ? 'Try again later' : 'Message refused'));
          return;
        }
        const raw = Buffer.concat(chunks);
        simpleParser(raw).then(
          (parsed) => {
            mails.push({
              from: session.envelope.mailFrom === false ? undefined : session.envelope.mailFrom.address,
              to: session.envelope.rcptTo.map((r) => r.address),
              parsed,
              raw: raw.toString('utf8'),
            });
            callback();
          },
          (err: Error) => callback(err),
        );
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  return {
    host: '127.0.0.1',
    port,
    url: `smtp://127.0.0.1:${port}`,
    mails,
    dataAttempts: () => attempts,
    dataRaw,
    openConnections: () =>
      new Promise<number>((resolve, reject) =>
        server.server.getConnections((error, count) => (error ? reject(error) : resolve(count))),
      ),
    logins: () => logins,
    connections: () => connections,
    answerWith(next) {
      answer = next;
      answeredBefore = attempts;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

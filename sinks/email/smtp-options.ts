import type { SMTPPoolOptions } from 'nodemailer';
import type { EmailSinkConfig, SmtpConfig } from './config';

/** The nodemailer transport options of a sink: its server, pooling and timeouts. */
export function smtpOptions(
  config: Pick<EmailSinkConfig, 'smtp' | 'pool'>,
  timeoutMs: number,
): SMTPPoolOptions {
  const { smtp } = config;
  const server: SMTPPoolOptions =
    typeof smtp === 'string'
      ? { url: smtp }
      : {
          host: smtp.host,
          ...(smtp.port !== undefined && { port: smtp.port }),
          secure: smtp.secure ?? false,
          ...(smtp.requireTLS !== undefined && { requireTLS: smtp.requireTLS }),
          ...(smtp.auth && { auth: { user: smtp.auth.user, pass: smtp.auth.pass } }),
          ...(smtp.tls && { tls: { ...smtp.tls } }),
        };
  return {
    ...server,
    pool: config.pool ?? true,
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
    // No logging from nodemailer itself (it would print the SMTP dialogue); errors come back to us.
    logger: false,
    debug: false,
    // Templates only make text; a message never reads local files or fetches URLs.
    disableFileAccess: true,
    disableUrlAccess: true,
  };
}

/** The secrets in an `smtp` setting: the password, from the object or the URL. */
export function smtpSecrets(smtp: SmtpConfig): string[] {
  if (typeof smtp !== 'string') return smtp.auth ? [smtp.auth.pass] : [];
  try {
    const url = new URL(smtp);
    if (url.password === '') return [];
    // Either spelling may show up in a message: as written in the URL, or decoded.
    return [...new Set([url.password, safeDecode(url.password)])];
  } catch {
    return [];
  }
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** `smtps://user:<secret>@host:465`: the URL with its password replaced, for logs and messages. */
export function redactSmtpUrl(url: string): string {
  return url.replace(/(smtps?:\/\/[^:@/\s]*:)[^@/\s]*@/gi, '$1<secret>@');
}

/** Where a sink sends, for logs: `smtp://host:port` (no credentials). */
export function describeSmtp(smtp: SmtpConfig): string {
  if (typeof smtp === 'string') {
    try {
      const url = new URL(smtp);
      return `${url.protocol}//${url.host}`;
    } catch {
      return '(invalid smtp URL)';
    }
  }
  const secure = smtp.secure ?? false;
  return `${secure ? 'smtps' : 'smtp'}://${smtp.host}:${smtp.port ?? (secure ? 465 : 587)}`;
}

/** Replaces every secret in `text` with `<secret>`, and any password in an smtp URL. */
export function createRedactor(secrets: readonly string[]): (text: string) => string {
  const nonEmpty = secrets.filter((s) => s.length > 0).sort((a, b) => b.length - a.length);
  return (text) => {
    let out = redactSmtpUrl(text);
    for (const secret of nonEmpty) out = out.split(secret).join('<secret>');
    return out;
  };
}

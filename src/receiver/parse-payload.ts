import type { WebhookRequest } from '../providers/provider';
import { WebhookError } from './webhook-error';

// fatal: invalid UTF-8 throws instead of turning into U+FFFD, which would be delivered as if it had been sent.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/** Bytes as UTF-8 text; invalid UTF-8 is refused (RFC 8259 section 8.1: JSON exchanged between systems is UTF-8). */
function decodeUtf8(bytes: Uint8Array, what: string): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw new WebhookError('malformed_payload', `${what} is not valid UTF-8 (JSON must be UTF-8, RFC 8259)`);
  }
}

/** One `application/x-www-form-urlencoded` component as bytes: `+` is a space, `%XX` a byte. */
function formBytes(component: string): Buffer {
  const bytes: number[] = [];
  for (let i = 0; i < component.length; i++) {
    const c = component[i] as string;
    const hex = c === '%' ? component.slice(i + 1, i + 3) : '';
    if (/^[0-9a-fA-F]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else if (c === '+') bytes.push(0x20);
    else bytes.push(...Buffer.from(c, 'utf8'));
  }
  return Buffer.from(bytes);
}

/** The `payload` field of a form body, decoded strictly (URLSearchParams would replace invalid UTF-8 silently). */
function formPayload(body: string): string {
  for (const pair of body.split('&')) {
    const eq = pair.indexOf('=');
    const name = eq === -1 ? pair : pair.slice(0, eq);
    if (name === 'payload')
      return decodeUtf8(formBytes(eq === -1 ? '' : pair.slice(eq + 1)), 'form field "payload"');
  }
  throw new WebhookError('malformed_payload', 'form body has no "payload" field');
}

/**
 * The JSON payload of a webhook: the body itself, or the `payload` field of a form post (GitHub's
 * `application/x-www-form-urlencoded` content type, Travis CI). Text must be valid UTF-8.
 */
export function parsePayload(request: WebhookRequest): unknown {
  let json = decodeUtf8(request.rawBody, 'body');
  if (request.contentType === 'application/x-www-form-urlencoded') json = formPayload(json);
  try {
    return JSON.parse(json) as unknown;
  } catch (cause) {
    throw new WebhookError(
      'malformed_payload',
      `body is not valid JSON (${(cause as Error).message.slice(0, 200)})`,
    );
  }
}

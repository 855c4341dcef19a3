import { WebhookError } from './webhook-error';

/**
 * Refuses a `Content-Type` that declares a charset other than UTF-8 (415): JSON is UTF-8 (RFC 8259),
 * and decoding it as something else would verify one text and deliver another. No charset means UTF-8.
 */
export function checkCharset(contentType: string | undefined): void {
  const charset = /;\s*charset\s*=\s*"?([^";\s]*)"?/i.exec(contentType ?? '')?.[1]?.toLowerCase();
  if (charset === undefined || charset === 'utf-8' || charset === 'utf8') return;
  throw new WebhookError(
    'unsupported_media_type',
    `charset "${charset.slice(0, 40)}" is not accepted; send the body as UTF-8 (charset=utf-8 or none)`,
  );
}

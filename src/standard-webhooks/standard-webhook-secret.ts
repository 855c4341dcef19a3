/** Decodes a Standard Webhooks signing secret (`whsec_<base64>`) to its key bytes; throws on a malformed one. */
export function decodeStandardWebhookSecret(secret: string): Buffer {
  if (!secret.startsWith('whsec_')) throw new Error('a Standard Webhooks secret starts with "whsec_"');
  const encoded = secret.slice('whsec_'.length);
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded))
    throw new Error('a Standard Webhooks secret is base64 after "whsec_"');
  const key = Buffer.from(encoded, 'base64');
  if (key.length < 24 || key.length > 64) throw new Error('a Standard Webhooks secret holds 24 to 64 bytes');
  return key;
}

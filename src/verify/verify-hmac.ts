import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * True when `offeredHex` is the hex HMAC-SHA256 (or other `algorithm`) of `data` under any of `secrets`.
 * The offered value's length is checked before `timingSafeEqual`, which throws on unequal lengths.
 */
export function verifyHmacHex(
  secrets: readonly string[],
  data: Buffer | string,
  offeredHex: string,
  algorithm: 'sha256' | 'sha1' | 'sha512' = 'sha256',
): boolean {
  // Even length too: Buffer.from(hex) drops a trailing odd digit, so `<valid digest>f` would pass.
  if (!/^(?:[0-9a-f]{2})+$/i.test(offeredHex)) return false;
  const offered = Buffer.from(offeredHex, 'hex');
  for (const secret of secrets) {
    const expected = createHmac(algorithm, secret).update(data).digest();
    if (offered.length === expected.length && timingSafeEqual(offered, expected)) return true;
  }
  return false;
}

import { safeEqual } from './safe-equal';

/** True when an `Authorization: Basic ...` header carries exactly this username and password. */
export function verifyBasicAuth(
  header: string | undefined,
  expected: { readonly username: string; readonly password: string },
): boolean {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  if (!match?.[1]) return false;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return false;
  // Both compared, always, so the timing does not tell which one was wrong.
  const userOk = safeEqual(decoded.slice(0, colon), expected.username);
  const passOk = safeEqual(decoded.slice(colon + 1), expected.password);
  return userOk && passOk;
}

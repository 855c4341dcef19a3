import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Constant-time string comparison. Both sides are hashed to a fixed length first, so neither the
 * content nor the length of the expected value leaks through timing.
 */
export function safeEqual(offered: string, expected: string): boolean {
  return timingSafeEqual(
    createHash('sha256').update(offered).digest(),
    createHash('sha256').update(expected).digest(),
  );
}

import { createHash, timingSafeEqual } from 'node:crypto'

const digest = (text: string) => createHash('sha256').update(text).digest()

/**
 * Compares a presented secret with the expected one in time that depends on neither's content nor on
 * where they differ: both are hashed to 32 bytes, and the digests compared with `timingSafeEqual`.
 *
 * @example
 * ```ts
 * constantTimeEqual(presentedToken, configuredToken) // true only when they are equal
 * ```
 */
export function constantTimeEqual(presented: string, expected: string): boolean {
  return timingSafeEqual(digest(presented), digest(expected))
}

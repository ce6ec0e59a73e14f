import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'

/**
 * The rights a key can be given: one per part of the API it opens. `API_TOKEN` has them all.
 *
 * @example
 * ```ts
 * SCOPES.includes('topics:read') // true
 * ```
 */
export const SCOPES = ['topics:read', 'changes:read', 'events:read', 'metrics:read', 'subscriptions:write'] as const

/**
 * One right of {@link SCOPES}, such as `'topics:read'`.
 *
 * @example
 * ```ts
 * const scope: Scope = 'changes:read'
 * ```
 */
export type Scope = (typeof SCOPES)[number]

/** What every key starts with, so that secret scanners can recognise a leaked one. */
export const KEY_PREFIX = 'imts_'

const ID_LENGTH = 16
const KEY_PATTERN = /^imts_([a-z2-7]{16})_([A-Za-z0-9_-]{43})$/
const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567'

/** `length` random characters of lower-case base32, one from the low five bits of each random byte. */
export const randomBase32 = (length: number) => [...randomBytes(length)].map((b) => BASE32[b & 31]).join('')

/**
 * The stored form of a key's secret: HMAC-SHA256 keyed by the key's id. A key carries 256 random
 * bits, so a fast hash is as safe as a slow one, and it costs microseconds per request; keying it by
 * the id keeps two keys' hashes unrelated.
 *
 * @example
 * ```ts
 * hashSecret('abcdefghijklmnop', secret) // 64 hex characters
 * ```
 */
export function hashSecret(id: string, secret: string): string {
  return createHmac('sha256', id).update(secret).digest('hex')
}

/**
 * A new key: `imts_<id>_<secret>`, with a 16-character id (shown by `keys list`, logged with each
 * request) and a 256-bit secret. Only the hash of the secret is stored.
 *
 * @example
 * ```ts
 * const { id, key, hash } = generateKey() // key is shown once; id and hash are stored
 * ```
 */
export function generateKey(): { id: string; key: string; hash: string } {
  const id = randomBase32(ID_LENGTH)
  const secret = randomBytes(32).toString('base64url')
  return { id, key: `${KEY_PREFIX}${id}_${secret}`, hash: hashSecret(id, secret) }
}

/**
 * The id and secret of a presented key, or undefined when it does not have a key's form.
 *
 * @example
 * ```ts
 * parseKey('imts_abcdefghijklmnop_…') // { id: 'abcdefghijklmnop', secret: '…' }
 * ```
 */
export function parseKey(presented: string): { id: string; secret: string } | undefined {
  const match = KEY_PATTERN.exec(presented)
  return match ? { id: match[1]!, secret: match[2]! } : undefined
}

/**
 * Whether `secret` is the one whose hash is `hash`, compared in constant time.
 *
 * @example
 * ```ts
 * secretMatches(id, secret, stored.hash)
 * ```
 */
export function secretMatches(id: string, secret: string, hash: string): boolean {
  const presented = Buffer.from(hashSecret(id, secret), 'hex')
  const stored = Buffer.from(hash, 'hex')
  return presented.length === stored.length && timingSafeEqual(presented, stored)
}

/**
 * The scopes of a comma-separated list, checked: each must be one of {@link SCOPES}, and at least
 * one is needed. Throws a `TypeError` that names the first unknown scope.
 *
 * @example
 * ```ts
 * parseScopes('topics:read,changes:read') // ['topics:read', 'changes:read']
 * ```
 */
export function parseScopes(list: string): Scope[] {
  const scopes = [
    ...new Set(
      list
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== ''),
    ),
  ]
  if (scopes.length === 0) throw new TypeError(`give at least one scope: ${SCOPES.join(', ')}`)
  for (const scope of scopes) {
    if (!(SCOPES as readonly string[]).includes(scope))
      throw new TypeError(`unknown scope ${JSON.stringify(scope.slice(0, 40))}; the scopes are ${SCOPES.join(', ')}`)
  }
  return scopes as Scope[]
}

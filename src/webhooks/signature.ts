import { createHmac, randomBytes } from 'node:crypto'

const PREFIX = 'whsec_'

/**
 * A new signing secret in the Standard Webhooks form: `whsec_` and 32 random bytes in base64.
 *
 * @example
 * ```ts
 * newSecret() // 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw…'
 * ```
 */
export function newSecret(): string {
  return PREFIX + randomBytes(32).toString('base64')
}

/**
 * The `webhook-signature` header of one delivery, per Standard Webhooks: `v1,<base64 HMAC-SHA256 of
 * "id.timestamp.body">` for each secret, space-separated, so that a receiver that knows either secret
 * accepts it during a rotation.
 *
 * @example
 * ```ts
 * sign([secret], 'msg_sub1_42', 1765100000, '{"type":"topic.created",…}') // 'v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4='
 * ```
 */
export function sign(secrets: readonly string[], id: string, timestampSeconds: number, body: string): string {
  return secrets
    .map((secret) => {
      const key = Buffer.from(secret.startsWith(PREFIX) ? secret.slice(PREFIX.length) : secret, 'base64')
      return `v1,${createHmac('sha256', key).update(`${id}.${timestampSeconds}.${body}`).digest('base64')}`
    })
    .join(' ')
}

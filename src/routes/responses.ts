import type { Scope } from '../auth/api-key.ts'
import { CallbackAnswer } from '../contract/answer.ts'

/**
 * A refusal in a route's responses: the `CallbackAnswer` body every failure has.
 *
 * @example
 * ```ts
 * responses: { 401: fail('The bearer token is missing or wrong.') }
 * ```
 */
export const fail = (description: string) => ({
  description,
  content: { 'application/json': { schema: CallbackAnswer } },
})

/**
 * A JSON success in a route's responses.
 *
 * @example
 * ```ts
 * responses: { 200: ok('The topic.', Topic) }
 * ```
 */
export const ok = <T>(description: string, schema: T) => ({ description, content: { 'application/json': { schema } } })

/**
 * The read API's security requirement: `Authorization: Bearer` with a key that has `scope` (or
 * `API_TOKEN`, which has every scope).
 *
 * @example
 * ```ts
 * createRoute({ …, security: bearerSecurity('topics:read') })
 * ```
 */
export const bearerSecurity = (scope: Scope) => [{ BearerAuth: [scope] }]

/**
 * The refusals of a guarded route: no or a wrong key (401), a key without the scope (403).
 *
 * @example
 * ```ts
 * responses: { 200: ok('The topic.', Topic), ...keyRefusals }
 * ```
 */
export const keyRefusals = {
  401: fail('The bearer key is missing, unknown or revoked.'),
  403: fail('The key lacks the scope this operation needs.'),
}

/**
 * The answer the HTTP server gives, before any route, to headers larger than `MAX_HEADER_BYTES`: every
 * operation can meet it, so every operation documents it (src/node.ts writes it).
 *
 * @example
 * ```ts
 * responses: { 200: ok('The topic.', Topic), ...headersTooLarge }
 * ```
 */
export const headersTooLarge = { 431: fail("The request's headers are larger than MAX_HEADER_BYTES.") }

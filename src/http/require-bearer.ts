import type { MiddlewareHandler } from 'hono'
import { Refusal } from '../contract/refusal.ts'
import { constantTimeEqual } from '../verify/constant-time-equal.ts'

/**
 * Guards a route with `Authorization: Bearer <token>`, compared with {@link constantTimeEqual}, so
 * that neither the token's content nor its length shows in the timing. With no token
 * configured, every request is refused: the read API is never open by accident.
 *
 * @example
 * ```ts
 * app.use('/topics', requireBearer(config.apiToken))
 * ```
 */
export function requireBearer(token: string | undefined): MiddlewareHandler {
  return async function bearerAuth(c, next) {
    if (token === undefined) {
      throw new Refusal('API_TOKEN_INVALID', 'The read API is disabled: the service has no API_TOKEN configured')
    }
    const header = c.req.header('authorization')
    if (header === undefined) throw new Refusal('API_TOKEN_INVALID', 'Authorization: Bearer <API_TOKEN> is missing')
    const match = /^Bearer +(\S+) *$/i.exec(header)
    if (!match) throw new Refusal('API_TOKEN_INVALID', 'Authorization must be "Bearer <API_TOKEN>"')
    if (!constantTimeEqual(match[1]!, token)) {
      throw new Refusal('API_TOKEN_INVALID', "The bearer token is not this service's API_TOKEN")
    }
    await next()
  }
}

import type { MiddlewareHandler } from 'hono'
import type { AppEnv } from '../app-env.ts'
import { Refusal } from '../contract/refusal.ts'
import type { Logger } from '../log/index.ts'
import type { Metrics } from '../metrics/index.ts'
import type { Scope } from './api-key.ts'
import type { KeyRing } from './key-ring.ts'

/**
 * Guards the read API's routes: each request proves a key (or `API_TOKEN`) with `Authorization:
 * Bearer`, or is answered 401; a key without the route's scope is answered 403 with the scope it
 * lacks. Each request is then logged and counted under its key's id, never the key.
 *
 * @example
 * ```ts
 * const guard = createGuard({ ring, log, metrics })
 * app.use('/topics', guard('topics:read'))
 * ```
 */
export function createGuard({
  ring,
  log,
  metrics,
}: {
  ring: KeyRing
  log: Logger
  metrics: Metrics
}): (scope: Scope) => MiddlewareHandler<AppEnv> {
  return (scope) =>
    async function requireScope(c, next) {
      const principal = await ring.authenticate(c.req.header('authorization'))
      if (!principal.scopes.has(scope)) {
        throw new Refusal(
          'SCOPE_MISSING',
          `The key ${principal.keyId} lacks the scope ${scope}, which ${c.req.path.slice(0, 200)} needs`,
        )
      }
      c.set('principal', principal)
      const started = performance.now()
      await next()
      metrics.apiRequest(principal.keyId, scope, c.res.status)
      log.info('read', {
        requestId: c.get('requestId'),
        keyId: principal.keyId,
        method: c.req.method,
        path: c.req.path.slice(0, 200),
        status: c.res.status,
        ms: Math.round((performance.now() - started) * 10) / 10,
      })
    }
}

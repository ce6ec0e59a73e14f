import { createRoute } from '@hono/zod-openapi'
import type { App } from '../app-env.ts'
import { Health, Readiness } from '../contract/read-api.ts'
import { DeadlineError, withDeadline } from '../http/with-deadline.ts'
import type { Logger } from '../log/index.ts'
import { describeError } from '../log/index.ts'
import type { Store } from '../store/store.ts'
import { WritesFailingError } from '../store/store-error.ts'
import { headersTooLarge } from './responses.ts'

/** `GET /healthz`. */
export const healthRoute = createRoute({
  method: 'get',
  path: '/healthz',
  operationId: 'getHealth',
  tags: ['Operations'],
  responses: {
    200: { description: 'The process is up.', content: { 'application/json': { schema: Health } } },
    ...headersTooLarge,
  },
})

/** `GET /readyz`. */
export const readinessRoute = createRoute({
  method: 'get',
  path: '/readyz',
  operationId: 'getReadiness',
  tags: ['Operations'],
  responses: {
    200: { description: 'Ready.', content: { 'application/json': { schema: Readiness } } },
    503: {
      description: 'The database does not answer, or writes fail.',
      content: { 'application/json': { schema: Readiness } },
    },
    ...headersTooLarge,
  },
})

/** Says why the store is not ready, in words for an operator; the database's own error is logged. */
function readinessReason(error: unknown): string {
  if (error instanceof DeadlineError) return 'the database did not answer within 1 s'
  if (error instanceof WritesFailingError) {
    const cause = error.cause as { message?: unknown; code?: unknown } | undefined
    return /full|space|quota|SQLITE_FULL|53100/i.test(`${cause?.message ?? ''} ${cause?.code ?? ''}`)
      ? 'writes are failing, database or disk is full'
      : 'writes are failing'
  }
  return 'the database does not answer'
}

/**
 * Registers `/healthz` (the process is up) and `/readyz` (the database answers within a second, and writes work).
 *
 * @example
 * ```ts
 * registerHealth(app, { store, log })
 * ```
 */
export function registerHealth(app: App, { store, log }: { store: Store; log: Logger }): void {
  app.openapi(healthRoute, (c) => c.json({ status: 'ok' as const }, 200))
  app.openapi(readinessRoute, async (c) => {
    try {
      await withDeadline(store.ping(), 1000)
      return c.json({ status: 'ready' as const, store: store.kind }, 200)
    } catch (error) {
      log.warn('not ready', { store: store.kind, ...describeError(error) })
      return c.json({ status: 'unavailable' as const, store: store.kind, reason: readinessReason(error) }, 503)
    }
  })
}

import type { OpenAPIHono } from '@hono/zod-openapi'
import type { Principal } from './auth/key-ring.ts'
import type { Refusal } from './contract/refusal.ts'

/**
 * The variables every request carries; the callback route fills in what the log line reports, and the
 * read API's guard who made the request. Shared
 * by the app and its routes, so it lives apart from both.
 *
 * @example
 * ```ts
 * const parent = new Hono<AppEnv>().route('/im', createApp({ config, store }))
 * ```
 */
export type AppEnv = {
  Variables: { requestId: string; refusal?: Refusal; principal?: Principal }
}

/**
 * The app that each route registrar adds its operations to.
 *
 * @example
 * ```ts
 * function registerHealth(app: App): void { app.get('/healthz', (c) => c.json({ status: 'ok' })) }
 * ```
 */
export type App = OpenAPIHono<AppEnv>

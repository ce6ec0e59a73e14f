import { createRoute, z } from '@hono/zod-openapi'
import type { App } from '../app-env.ts'
import { createChangeStream } from '../changes/change-stream.ts'
import type { ChangeFeed } from '../changes/create-change-feed.ts'
import { ChangePage, ListChangesQuery, StreamChangesHeaders, StreamChangesQuery } from '../contract/read-api.ts'
import { requireBearer } from '../http/require-bearer.ts'
import type { Logger } from '../log/index.ts'
import type { Store } from '../store/types.ts'
import { fail, headersTooLarge, ok, bearerSecurity as security } from './responses.ts'

/** `GET /changes`. */
export const listChangesRoute = createRoute({
  method: 'get',
  path: '/changes',
  operationId: 'listChanges',
  tags: ['Changes'],
  security,
  request: { query: ListChangesQuery },
  responses: {
    200: ok('A page of the change feed.', ChangePage),
    400: fail('A query parameter is invalid.'),
    401: fail('The bearer token is missing or wrong.'),
    503: fail('The database is unavailable.'),
    ...headersTooLarge,
  },
})

/** `GET /changes/stream`. */
export const streamChangesRoute = createRoute({
  method: 'get',
  path: '/changes/stream',
  operationId: 'streamChanges',
  tags: ['Changes'],
  security,
  request: { query: StreamChangesQuery, headers: StreamChangesHeaders },
  responses: {
    200: {
      description: 'The change feed as Server-Sent Events.',
      content: { 'text/event-stream': { schema: z.string() } },
    },
    400: fail('A query parameter or Last-Event-ID is invalid.'),
    401: fail('The bearer token is missing or wrong.'),
    ...headersTooLarge,
  },
})

/** What {@link registerChanges} needs. */
export interface ChangesDeps {
  store: Store
  feed: ChangeFeed
  apiToken: string | undefined
  /** How long a stream may stay silent before it sends a heartbeat comment. */
  heartbeatMs: number
  log: Logger
}

const STREAM_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-store',
  // nginx buffers responses unless told not to; a buffered stream is not live.
  'x-accel-buffering': 'no',
}

/**
 * Registers the change feed behind the bearer token: `GET /changes` (pages) and
 * `GET /changes/stream` (Server-Sent Events).
 *
 * @example
 * ```ts
 * registerChanges(app, { store, feed, apiToken, heartbeatMs: 15_000, log })
 * ```
 */
export function registerChanges(app: App, { store, feed, apiToken, heartbeatMs, log }: ChangesDeps): void {
  const guard = requireBearer(apiToken)
  for (const path of ['/changes', '/changes/*']) app.use(path, guard)

  app.openapi(listChangesRoute, async (c) => {
    const { after, limit } = c.req.valid('query')
    const page = await store.listChanges({ after: Number(after ?? 0), limit })
    return c.json({ items: page.items, nextCursor: String(page.last), hasMore: page.hasMore }, 200)
  })

  app.openapi(streamChangesRoute, (c) => {
    // An EventSource that reconnects sends the last id it received; that wins over the URL's `after`,
    // which it repeats unchanged.
    const after = Number(c.req.valid('header')['last-event-id'] ?? c.req.valid('query').after ?? 0)
    const body = createChangeStream({ store, feed, after, heartbeatMs, signal: c.req.raw.signal, log })
    return c.body(body, 200, STREAM_HEADERS)
  })
}

import { createRoute, z } from '@hono/zod-openapi'
import type { MiddlewareHandler } from 'hono'
import type { App, AppEnv } from '../app-env.ts'
import type { Scope } from '../auth/api-key.ts'
import type { KeyRing } from '../auth/key-ring.ts'
import { createChangeStream } from '../changes/change-stream.ts'
import type { ChangeFeed } from '../changes/create-change-feed.ts'
import { ChangePage, ListChangesQuery, StreamChangesHeaders, StreamChangesQuery } from '../contract/read-api.ts'
import { Refusal } from '../contract/refusal.ts'
import type { Logger } from '../log/index.ts'
import type { Store } from '../store/store.ts'
import { fail, headersTooLarge, keyRefusals, ok, bearerSecurity as security } from './responses.ts'

/** `GET /changes`. */
export const listChangesRoute = createRoute({
  method: 'get',
  path: '/changes',
  operationId: 'listChanges',
  tags: ['Changes'],
  security: security('changes:read'),
  request: { query: ListChangesQuery },
  responses: {
    200: ok('A page of the change feed.', ChangePage),
    400: fail('A query parameter is invalid, or `after` is beyond the last position of the feed.'),
    ...keyRefusals,
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
  security: security('changes:read'),
  request: { query: StreamChangesQuery, headers: StreamChangesHeaders },
  responses: {
    200: {
      description: 'The change feed as Server-Sent Events.',
      content: { 'text/event-stream': { schema: z.string() } },
    },
    400: fail('A query parameter or Last-Event-ID is invalid, or beyond the last position of the feed.'),
    ...keyRefusals,
    503: fail('The database is unavailable, or this replica already serves MAX_CHANGE_STREAMS streams.'),
    ...headersTooLarge,
  },
})

/** What {@link registerChanges} needs. */
export interface ChangesDeps {
  store: Store
  feed: ChangeFeed
  /** The read API's guard, which proves the key of each request and checks its scope. */
  guard: (scope: Scope) => MiddlewareHandler<AppEnv>
  /** Ends a stream whose key is revoked. */
  ring: Pick<KeyRing, 'watch'>
  /** How long a stream may stay silent before it sends a heartbeat comment. */
  heartbeatMs: number
  /** How long a stream's client may leave what was sent unread before the stream is dropped. */
  stallMs?: number | undefined
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
 * registerChanges(app, { store, feed, guard, ring, heartbeatMs: 15_000, stallMs: 30_000, log })
 * ```
 */
export function registerChanges(app: App, { store, feed, guard, ring, heartbeatMs, stallMs, log }: ChangesDeps): void {
  // '/changes/*' is /changes and everything under it: one guard per request.
  app.use('/changes/*', guard('changes:read'))

  /**
   * A cursor past the last position handed out is not from this feed (another database, or one
   * restored from a backup): following it would skip every change up to it, in silence.
   */
  async function checkCursor(after: number, name: string): Promise<void> {
    if (after === 0) return
    const last = await store.lastPosition()
    if (after > last) {
      throw new Refusal(
        'PARAMETER_INVALID',
        `${name} ${after} is beyond the last position of this feed (${last}): it is from another or an older database. Start again from 0 (rebuild your copy).`,
      )
    }
  }

  app.openapi(listChangesRoute, async (c) => {
    const { after: given, limit } = c.req.valid('query')
    const after = Number(given ?? 0)
    const page = await store.listChanges({ after, limit })
    // An empty page is the only one that can hide a cursor from elsewhere.
    if (page.items.length === 0) await checkCursor(after, 'after')
    return c.json({ items: page.items, nextCursor: String(page.last), hasMore: page.hasMore }, 200)
  })

  app.openapi(streamChangesRoute, async (c) => {
    // An EventSource that reconnects sends the last id it received; that wins over the URL's `after`,
    // which it repeats unchanged.
    const lastEventId = c.req.valid('header')['last-event-id']
    const after = Number(lastEventId ?? c.req.valid('query').after ?? 0)
    await checkCursor(after, lastEventId === undefined ? 'after' : 'Last-Event-ID')
    const release = feed.admit()
    if (release === undefined) {
      throw new Refusal(
        'TOO_MANY_STREAMS',
        `This replica already serves ${feed.streams} change streams (MAX_CHANGE_STREAMS); retry later, or page GET /changes`,
      )
    }
    const key = ring.watch(c.get('principal')!.keyId)
    const body = createChangeStream({
      store,
      feed,
      after,
      heartbeatMs,
      stallMs,
      signal: c.req.raw.signal,
      revoked: key.signal,
      onEnd: () => {
        key.release()
        release()
      },
      log,
    })
    return c.body(body, 200, STREAM_HEADERS)
  })
}

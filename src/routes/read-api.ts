import { createRoute, z } from '@hono/zod-openapi'
import type { MiddlewareHandler } from 'hono'
import type { App, AppEnv } from '../app-env.ts'
import type { Scope } from '../auth/api-key.ts'
import {
  CallbackEventPage,
  ListEventsQuery,
  ListTopicsQuery,
  Topic,
  TopicPage,
  TopicParams,
} from '../contract/read-api.ts'
import { Refusal } from '../contract/refusal.ts'
import { decodeCursor, encodeCursor } from '../http/cursor.ts'
import type { Metrics } from '../metrics/index.ts'
import type { Store } from '../store/store.ts'
import { fail, headersTooLarge, keyRefusals, ok, bearerSecurity as security } from './responses.ts'

/** `GET /topics/{TopicId}`. */
export const getTopicRoute = createRoute({
  method: 'get',
  path: '/topics/{TopicId}',
  operationId: 'getTopic',
  tags: ['Topics'],
  security: security('topics:read'),
  request: { params: TopicParams },
  responses: {
    200: ok('The topic.', Topic),
    ...keyRefusals,
    404: fail('No topic has this ID.'),
    503: fail('The database is unavailable.'),
    ...headersTooLarge,
  },
})

/** `GET /topics`. */
export const listTopicsRoute = createRoute({
  method: 'get',
  path: '/topics',
  operationId: 'listTopics',
  tags: ['Topics'],
  security: security('topics:read'),
  request: { query: ListTopicsQuery },
  responses: {
    200: ok('A page of topics.', TopicPage),
    400: fail('A query parameter is invalid.'),
    ...keyRefusals,
    503: fail('The database is unavailable.'),
    ...headersTooLarge,
  },
})

/** `GET /events`. */
export const listEventsRoute = createRoute({
  method: 'get',
  path: '/events',
  operationId: 'listEvents',
  tags: ['Events'],
  security: security('events:read'),
  request: { query: ListEventsQuery },
  responses: {
    200: ok('A page of events.', CallbackEventPage),
    400: fail('A query parameter is invalid.'),
    ...keyRefusals,
    503: fail('The database is unavailable.'),
    ...headersTooLarge,
  },
})

/** `GET /metrics`. */
export const metricsRoute = createRoute({
  method: 'get',
  path: '/metrics',
  operationId: 'getMetrics',
  tags: ['Operations'],
  security: security('metrics:read'),
  responses: {
    200: { description: 'Prometheus text format.', content: { 'text/plain': { schema: z.string() } } },
    ...keyRefusals,
    ...headersTooLarge,
  },
})

/**
 * Registers the read API (`/topics`, `/topics/{TopicId}`, `/events`) and `/metrics` behind the bearer token.
 *
 * @example
 * ```ts
 * registerReadApi(app, { store, guard, metrics })
 * ```
 */
export function registerReadApi(
  app: App,
  { store, guard, metrics }: { store: Store; guard: (scope: Scope) => MiddlewareHandler<AppEnv>; metrics: Metrics },
): void {
  // The guard runs before the parameters are validated: without a key, nothing about them is said.
  // '/topics/*' is /topics and everything under it: one guard per request, so one log line.
  app.use('/topics/*', guard('topics:read'))
  app.use('/events', guard('events:read'))
  app.use('/metrics', guard('metrics:read'))

  app.openAPIRegistry.registerPath(metricsRoute)
  app.get(metricsRoute.path, (c) =>
    c.body(metrics.render(), 200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }),
  )

  app.openapi(getTopicRoute, async (c) => {
    const { TopicId } = c.req.valid('param')
    const topic = await store.getTopic(TopicId)
    if (!topic) throw new Refusal('NOT_FOUND', `No topic with TopicId ${JSON.stringify(TopicId.slice(0, 200))}`)
    return c.json(topic, 200)
  })

  app.openapi(listTopicsRoute, async (c) => {
    const { GroupId, TopicId, limit, cursor } = c.req.valid('query')
    const page = await store.listTopics({ groupId: GroupId, topicIds: TopicId, limit, after: decodeCursor(cursor) })
    return c.json({ items: page.items, nextCursor: encodeCursor(page.next) }, 200)
  })

  app.openapi(listEventsRoute, async (c) => {
    const { command, outcome, limit, cursor } = c.req.valid('query')
    const page = await store.listEvents({ command, outcome, limit, after: decodeCursor(cursor) })
    return c.json({ items: page.items, nextCursor: encodeCursor(page.next) }, 200)
  })
}

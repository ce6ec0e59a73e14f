import { createRoute, z } from '@hono/zod-openapi'
import type { App } from '../app-env.ts'
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
import { requireBearer } from '../http/require-bearer.ts'
import type { Metrics } from '../metrics/index.ts'
import type { Store } from '../store/store.ts'
import { fail, headersTooLarge, ok, bearerSecurity as security } from './responses.ts'

/** `GET /topics/{TopicId}`. */
export const getTopicRoute = createRoute({
  method: 'get',
  path: '/topics/{TopicId}',
  operationId: 'getTopic',
  tags: ['Topics'],
  security,
  request: { params: TopicParams },
  responses: {
    200: ok('The topic.', Topic),
    401: fail('The bearer token is missing or wrong.'),
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
  security,
  request: { query: ListTopicsQuery },
  responses: {
    200: ok('A page of topics.', TopicPage),
    400: fail('A query parameter is invalid.'),
    401: fail('The bearer token is missing or wrong.'),
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
  security,
  request: { query: ListEventsQuery },
  responses: {
    200: ok('A page of events.', CallbackEventPage),
    400: fail('A query parameter is invalid.'),
    401: fail('The bearer token is missing or wrong.'),
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
  security,
  responses: {
    200: { description: 'Prometheus text format.', content: { 'text/plain': { schema: z.string() } } },
    401: fail('The bearer token is missing or wrong.'),
    ...headersTooLarge,
  },
})

/**
 * Registers the read API (`/topics`, `/topics/{TopicId}`, `/events`) and `/metrics` behind the bearer token.
 *
 * @example
 * ```ts
 * registerReadApi(app, { store, apiToken: config.apiToken })
 * ```
 */
export function registerReadApi(
  app: App,
  { store, apiToken, metrics }: { store: Store; apiToken: string | undefined; metrics: Metrics },
): void {
  const guard = requireBearer(apiToken)
  // The guard runs before the parameters are validated: without the token, nothing about them is said.
  for (const path of ['/topics', '/topics/*', '/events', '/metrics']) app.use(path, guard)

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

import { z } from '@hono/zod-openapi'
import { UserDefinedData } from './callback-bodies.ts'

const dateTime = z.string().openapi({ format: 'date-time' })

/**
 * A synced topic, under the callback's own field names.
 *
 * @example
 * ```ts
 * const topic: Topic = await client.GET('/topics/{TopicId}', ...)
 * ```
 */
export const Topic = z
  .object({
    GroupId: z.string(),
    TopicId: z.string(),
    Name: z.string(),
    Type: z.string(),
    Owner_Account: z.string().nullable(),
    Operator_Account: z.string().nullable(),
    UserDefinedDataList: z.array(UserDefinedData).nullable(),
    ClientIP: z.string().nullable(),
    OptPlatform: z.string().nullable(),
    Introduction: z.string().nullable(),
    Notification: z.string().nullable(),
    FaceUrl: z.string().nullable(),
    CustomString: z.string().nullable(),
    ReceivedAt: dateTime,
    UpdatedAt: dateTime,
    DeletedAt: dateTime.nullable(),
  })
  .openapi('Topic')

/** A synced topic. */
export type Topic = z.infer<typeof Topic>

/**
 * One page of topics.
 *
 * @example
 * ```ts
 * const page: TopicPage = { items: [], nextCursor: null }
 * ```
 */
export const TopicPage = z.object({ items: z.array(Topic), nextCursor: z.string().nullable() }).openapi('TopicPage')

/** One page of topics. */
export type TopicPage = z.infer<typeof TopicPage>

/**
 * What the service did with a callback.
 *
 * @example
 * ```ts
 * EventOutcome.parse('stored')
 * ```
 */
export const EventOutcome = z.enum(['stored', 'duplicate', 'ignored', 'rejected']).openapi('EventOutcome')

/** What the service did with a callback. */
export type EventOutcome = z.infer<typeof EventOutcome>

/**
 * One logged callback.
 *
 * @example
 * ```ts
 * const event: CallbackEvent = page.items[0]
 * ```
 */
export const CallbackEvent = z
  .object({
    EventId: z.number().int(),
    ReceivedAt: dateTime,
    CallbackCommand: z.string(),
    Query: z.record(z.string(), z.string()),
    Body: z.string().nullable(),
    BodyBytes: z.number().int().min(0),
    Outcome: EventOutcome,
    Reason: z.string().nullable(),
    Source: z.enum(['callback', 'reconcile']),
  })
  .openapi('CallbackEvent')

/** One logged callback. */
export type CallbackEvent = z.infer<typeof CallbackEvent>

/**
 * One page of events.
 *
 * @example
 * ```ts
 * const page: CallbackEventPage = { items: [], nextCursor: null }
 * ```
 */
export const CallbackEventPage = z
  .object({ items: z.array(CallbackEvent), nextCursor: z.string().nullable() })
  .openapi('CallbackEventPage')

/** One page of events. */
export type CallbackEventPage = z.infer<typeof CallbackEventPage>

const LIMIT_ERROR = 'limit must be an integer from 1 to 500, in decimal digits (no sign, exponent or leading zero)'

// Digits only: `1e2`, `0x10`, ` 3`, `+5` and `05` are refused, not read as numbers. A string of digits
// becomes a number; anything else reaches z.number() as it is and is refused there.
const limit = z
  .preprocess(
    (value) => (typeof value === 'string' && /^[1-9][0-9]{0,2}$/.test(value) ? Number(value) : value),
    z
      .number({ error: LIMIT_ERROR })
      .int({ error: LIMIT_ERROR })
      .min(1, { error: LIMIT_ERROR })
      .max(500, { error: LIMIT_ERROR }),
  )
  .default(100)
  .openapi({ param: { name: 'limit', in: 'query' } })

const cursor = z
  .string()
  .regex(/^[0-9]{1,15}$/, { error: 'cursor must be a nextCursor this API returned: decimal digits' })
  .optional()

/**
 * What a change did to its topic, seen from the reader's position: `deleted` when the topic is
 * deleted; `created` when it did not exist at the position the reader asked after; else `updated`.
 *
 * @example
 * ```ts
 * ChangeKind.parse('created')
 * ```
 */
export const ChangeKind = z.enum(['created', 'updated', 'deleted']).openapi('ChangeKind')

/** What a change did to its topic. */
export type ChangeKind = z.infer<typeof ChangeKind>

/**
 * One change in the change feed: its position, what it did, when, and the topic after it.
 *
 * @example
 * ```ts
 * const change: TopicChange = page.items[0]
 * ```
 */
export const TopicChange = z
  .object({ position: z.number().int(), kind: ChangeKind, at: dateTime, topic: Topic })
  .openapi('TopicChange')

/** One change in the change feed. */
export type TopicChange = z.infer<typeof TopicChange>

/**
 * One page of the change feed.
 *
 * @example
 * ```ts
 * const page: ChangePage = { items: [], nextCursor: '0', hasMore: false }
 * ```
 */
export const ChangePage = z
  .object({ items: z.array(TopicChange), nextCursor: z.string(), hasMore: z.boolean() })
  .openapi('ChangePage')

/** One page of the change feed. */
export type ChangePage = z.infer<typeof ChangePage>

/** A position in the change feed, as a parameter: decimal digits only. */
const position = (name: string) =>
  z
    .string()
    .regex(/^[0-9]{1,15}$/, {
      error: `${name} must be a position: decimal digits (a change's position, or nextCursor)`,
    })
    .optional()

/**
 * The query of `GET /changes`.
 *
 * @example
 * ```ts
 * ListChangesQuery.parse({ after: '42' }) // { after: '42', limit: 100 }
 * ```
 */
export const ListChangesQuery = z.object({ after: position('after'), limit })

/**
 * The query of `GET /changes/stream`.
 *
 * @example
 * ```ts
 * StreamChangesQuery.parse({ after: '42' })
 * ```
 */
export const StreamChangesQuery = z.object({ after: position('after') })

/**
 * The headers of `GET /changes/stream`: the `Last-Event-ID` an EventSource sends when it reconnects.
 *
 * @example
 * ```ts
 * StreamChangesHeaders.parse({ 'last-event-id': '42' })
 * ```
 */
export const StreamChangesHeaders = z.object({ 'last-event-id': position('Last-Event-ID') })

/** The most `TopicId` values one `GET /topics` may look up. */
export const MAX_TOPIC_IDS = 100

/**
 * The query of `GET /topics`.
 *
 * @example
 * ```ts
 * ListTopicsQuery.parse({ limit: '10' }) // { limit: 10 }
 * ```
 */
export const ListTopicsQuery = z.object({
  GroupId: z.string().optional(),
  // Repeatable (`?TopicId=a&TopicId=b`): Hono hands one value as a string, several as an array.
  TopicId: z
    .preprocess(
      (value) => (typeof value === 'string' ? [value] : value),
      z.array(z.string()).max(MAX_TOPIC_IDS, { error: `TopicId may be given at most ${MAX_TOPIC_IDS} times` }),
    )
    .optional()
    .openapi({ param: { name: 'TopicId', in: 'query', style: 'form', explode: true } }),
  limit,
  cursor,
})

/**
 * The query of `GET /events`.
 *
 * @example
 * ```ts
 * ListEventsQuery.parse({ outcome: 'rejected' })
 * ```
 */
export const ListEventsQuery = z.object({
  command: z.string().optional(),
  outcome: EventOutcome.optional(),
  limit,
  cursor,
})

/**
 * The path of `GET /topics/{TopicId}`.
 *
 * @example
 * ```ts
 * TopicParams.parse({ TopicId: '@TGS#_x' })
 * ```
 */
export const TopicParams = z.object({ TopicId: z.string() })

/**
 * The answer of `GET /healthz`.
 *
 * @example
 * ```ts
 * Health.parse({ status: 'ok' })
 * ```
 */
export const Health = z.object({ status: z.enum(['ok']) }).openapi('Health')

/**
 * The answer of `GET /readyz`.
 *
 * @example
 * ```ts
 * Readiness.parse({ status: 'ready', store: 'sqlite' })
 * ```
 */
export const Readiness = z
  .object({
    status: z.enum(['ready', 'unavailable']),
    store: z.enum(['sqlite', 'postgres']),
    reason: z.string().optional(),
  })
  .openapi('Readiness')

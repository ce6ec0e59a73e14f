/**
 * A typed client of the read API for other teams, built with openapi-fetch over the types generated
 * from openapi.yaml: paths, parameters and answers are checked by the compiler.
 * @module
 */
import createClient, { type Client } from 'openapi-fetch'

import type * as Types from '../contract/generated-types.ts'

import { checkServiceOptions } from './check-service-options.ts'

export {
  ChangeFeedError,
  type ChangeFollower,
  type FollowChangesOptions,
  followChanges,
  type TopicChange,
} from './follow-changes.ts'
export {
  type DeliveryHeaders,
  DeliveryVerificationError,
  verifyDelivery,
  type WebhookEvent,
} from './verify-delivery.ts'

/**
 * The read API's paths, generated from openapi.yaml, for typing your own calls.
 *
 * @example
 * ```ts
 * type TopicAnswer = paths['/topics/{TopicId}']['get']['responses'][200]['content']['application/json']
 * ```
 */
export interface paths extends Types.paths {}

/**
 * A synced topic.
 *
 * @example
 * ```ts
 * const { data }: { data?: Topic } = await client.GET('/topics/{TopicId}', { params: { path: { TopicId } } })
 * ```
 */
export type Topic = Types.Topic

/**
 * A page of topics.
 *
 * @example
 * ```ts
 * const { data }: { data?: TopicPage } = await client.GET('/topics', {})
 * ```
 */
export type TopicPage = Types.TopicPage

/**
 * A logged callback.
 *
 * @example
 * ```ts
 * const rejected: CallbackEvent[] = (await client.GET('/events', { params: { query: { outcome: 'rejected' } } })).data!.items
 * ```
 */
export type CallbackEvent = Types.CallbackEvent

/**
 * A page of the event log.
 *
 * @example
 * ```ts
 * const { data }: { data?: CallbackEventPage } = await client.GET('/events', {})
 * ```
 */
export type CallbackEventPage = Types.CallbackEventPage

/**
 * A webhook subscription, as `GET /subscriptions/{id}` answers it.
 *
 * @example
 * ```ts
 * const { data }: { data?: Subscription } = await client.GET('/subscriptions/{id}', { params: { path: { id } } })
 * ```
 */
export type Subscription = Types.Subscription

/**
 * A page of the change feed.
 *
 * @example
 * ```ts
 * const { data }: { data?: ChangePage } = await client.GET('/changes', { params: { query: { after: '0' } } })
 * ```
 */
export type ChangePage = Types.ChangePage

/**
 * The read API's client: `GET`, `POST`… typed by path.
 *
 * @example
 * ```ts
 * const client: TopicSyncClient = createTopicSyncClient({ baseUrl, apiToken })
 * ```
 */
export type TopicSyncClient = Client<paths>

/**
 * Options of {@link createTopicSyncClient}.
 *
 * @example
 * ```ts
 * const options: TopicSyncClientOptions = { baseUrl: 'http://127.0.0.1:8080', apiToken: 'read-me' }
 * ```
 */
export interface TopicSyncClientOptions {
  /** Where the service is, for example `https://im-sync.internal`. */
  baseUrl: string
  /** The service's `API_TOKEN`. */
  apiToken: string
  /** A fetch to use instead of the global one (for tests, or `app.fetch` in process). */
  fetch?: (request: Request) => Response | Promise<Response>
}

/**
 * Makes a typed client of the read API.
 *
 * @example
 * ```ts
 * import { createTopicSyncClient } from 'im-topic-sync/client'
 *
 * const client = createTopicSyncClient({ baseUrl: 'http://127.0.0.1:8080', apiToken: 'read-me' })
 * const { data, error } = await client.GET('/topics/{TopicId}', {
 *   params: { path: { TopicId: '@TGS#_@TGS#cQVLVHIM62CJ@TOPIC#_@TOPIC#cRTE3HIM62C5' } },
 * })
 * if (data) console.log(data.Name, data.DeletedAt)
 * else console.error(error.ErrorCode, error.ErrorInfo)
 * ```
 */
export function createTopicSyncClient({ baseUrl, apiToken, fetch }: TopicSyncClientOptions): TopicSyncClient {
  checkServiceOptions('createTopicSyncClient', baseUrl, apiToken)
  return createClient<paths>({
    baseUrl,
    headers: { authorization: `Bearer ${apiToken}` },
    ...(fetch ? { fetch: async (request: Request) => fetch(request) } : {}),
  })
}

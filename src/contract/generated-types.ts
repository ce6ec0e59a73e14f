/**
 * The one door to the types generated from openapi.yaml: the rest of the code names these, never
 * generated/openapi.ts itself.
 *
 * @example
 * ```ts
 * import type { Generated } from 'im-topic-sync'
 * const topic: Generated.Topic = await res.json()
 * ```
 * @module
 */
import type { components, operations } from '../../generated/openapi.ts'

type Schemas = components['schemas']

/** The query of `POST /callback`. */
export type CallbackQuery = NonNullable<operations['receiveCallback']['parameters']['query']>
/** Any body `POST /callback` accepts. */
export type CallbackBody = operations['receiveCallback']['requestBody']['content']['application/json']
/** The body of `Group.CallbackAfterCreateTopic`. */
export type CallbackAfterCreateTopic = Schemas['CallbackAfterCreateTopic']
/** The body of `Group.CallbackAfterTopicDestroyed`. */
export type CallbackAfterTopicDestroyed = Schemas['CallbackAfterTopicDestroyed']
/** The body of `Group.CallbackAfterTopicInfoChanged`. */
export type CallbackAfterTopicInfoChanged = Schemas['CallbackAfterTopicInfoChanged']
/** The body of `Group.CallbackAfterGroupDestroyed`. */
export type CallbackAfterGroupDestroyed = Schemas['CallbackAfterGroupDestroyed']
/** The body of any other command. */
export type OtherCallback = Schemas['OtherCallback']
/** The answer to every request. */
export type CallbackAnswer = Schemas['CallbackAnswer']
/** A synced topic. */
export type Topic = Schemas['Topic']
/** A page of topics. */
export type TopicPage = Schemas['TopicPage']
/** A logged callback. */
export type CallbackEvent = Schemas['CallbackEvent']
/** A page of events. */
export type CallbackEventPage = Schemas['CallbackEventPage']
/** What the service did with a callback. */
export type EventOutcome = Schemas['EventOutcome']
/** One change in the change feed. */
export type TopicChange = Schemas['TopicChange']
/** A page of the change feed. */
export type ChangePage = Schemas['ChangePage']
/** What a change did to its topic. */
export type ChangeKind = Schemas['ChangeKind']
/** A webhook subscription. */
export type Subscription = Schemas['Subscription']
/** The body of one webhook delivery. */
export type WebhookEvent = Schemas['WebhookEvent']
/** The paths of the API, for typed clients. */
export type { paths } from '../../generated/openapi.ts'

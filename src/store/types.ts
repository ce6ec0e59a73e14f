import type { EventOutcome, TopicChange } from '../contract/read-api.ts'

/**
 * Which database a store writes to.
 *
 * @example
 * ```ts
 * const kind: StoreKind = store.kind // 'sqlite' or 'postgres'
 * ```
 */
export type StoreKind = 'sqlite' | 'postgres'

/**
 * The fields of a topic that come from the callback and its URL.
 *
 * @example
 * ```ts
 * onTopicCreated: ({ topic }: { topic: NewTopic }) => console.log(topic.GroupId, topic.Name)
 * ```
 */
export interface NewTopic {
  GroupId: string
  TopicId: string
  Name: string
  Type: string
  Owner_Account: string
  Operator_Account: string
  UserDefinedDataList: Array<{ Key: string; Value: string }> | null
  ClientIP: string | null
  OptPlatform: string | null
}

/**
 * What a callback asks the store to do, decided by its command's handler.
 *
 * @example
 * ```ts
 * const effect: Effect = { kind: 'destroyTopics', groupId: '@TGS#1', topicIds: ['@TGS#1@TOPIC#_a'] }
 * ```
 */
export type Effect =
  | { kind: 'createTopic'; topic: NewTopic }
  | { kind: 'destroyTopics'; groupId: string; topicIds: readonly string[] }
  | { kind: 'destroyGroup'; groupId: string }
  | { kind: 'changeTopicInfo'; groupId: string; topicId: string | undefined; profile: Partial<TopicProfile> }
  | { kind: 'ignore'; reason?: string }
  | { kind: 'reject'; reason: string }

/**
 * The fields of a topic that IM's topic profile (the REST API's `get_topic`) holds.
 *
 * @example
 * ```ts
 * const profile: TopicProfile = { Name: 'news', Introduction: null, Notification: null, FaceUrl: null, CustomString: null }
 * ```
 */
export interface TopicProfile {
  Name: string
  Introduction: string | null
  Notification: string | null
  FaceUrl: string | null
  CustomString: string | null
}

/**
 * One change that reconciliation makes to the mirror, with the profile IM answered.
 *
 * @example
 * ```ts
 * const change: MirrorChange = { kind: 'delete', groupId: 'g', topicId: 't', reason: 'IM no longer lists the topic' }
 * ```
 */
export type MirrorChange =
  | { kind: 'insert'; groupId: string; topicId: string; profile: TopicProfile; reason: string }
  | { kind: 'update'; groupId: string; topicId: string; profile: TopicProfile; reason: string }
  | { kind: 'delete'; groupId: string; topicId: string; reason: string }
  /** A topic the mirror has as deleted that IM lists, created again after that deletion: live again. */
  | { kind: 'revive'; groupId: string; topicId: string; profile: TopicProfile; reason: string }

/** One authenticated callback as received, for the event log. */
export interface ReceivedCallback {
  /** When it was received, in milliseconds since the epoch. */
  receivedAt: number
  /** The URL's `CallbackCommand` (empty when it was missing). */
  command: string
  /** The query parameters, except `Sign`. */
  query: Record<string, string>
  /** The raw body, exactly as received. */
  body: Uint8Array
  /**
   * Whether the event log keeps `body`; when false it keeps the body's size only (EVENT_BODIES=handled
   * for a command this service does not act on). Kept unless said otherwise.
   */
  keepBody?: boolean
}

/** Options of {@link Store.pruneEvents}. */
export interface PruneEventsOptions {
  /** Events received before this time (ms since the epoch) are deleted. */
  before: number
  /** The event position to go on from (0 at first). */
  after: number
  /** How many events one step reads. */
  limit: number
  /** Whether rejected events (that `replay` has not resolved) are deleted too. */
  includeRejected: boolean
}

/** What one step of {@link Store.pruneEvents} did. */
export interface PruneEventsStep {
  deleted: number
  /** The position of the last event read: the `after` of the next step. */
  last: number
  /** Whether a next step may find more to delete. */
  more: boolean
}

/** A page of rows and the position after its last row, or null on the last page. */
export interface Page<T> {
  items: T[]
  next: number | null
}

/** A page of the change feed. */
export interface ChangePage {
  /** The changes after the position asked for, oldest first. */
  items: TopicChange[]
  /** The position to ask for next: the last item's, or the one asked for when there is none. */
  last: number
  /** Whether more changes were already committed past this page. */
  hasMore: boolean
}

/**
 * Told that changes have committed: with the last position handed out when it is known, without
 * one when only "something may have changed" is (for example after a lost connection).
 */
export type ChangeListener = (position?: number) => void

/** A rejected event, for `replay`. */
export interface StoredEvent extends ReceivedCallback {
  id: number
  outcome: EventOutcome
  reason: string | null
}

/** Told how the store's transactions go (the service's metrics). */
export interface StoreObserver {
  commit(batchSize: number, seconds: number): void
  commitFailure(): void
  /** A transaction lost a deadlock or a serialization conflict and is run again. */
  conflictRetry?(): void
  /**
   * A transaction that changed topics committed on PostgreSQL: how long the statement that takes the
   * change counter's lock took (the wait for the lock, and one round trip), and how long from then to
   * the end of its commit (the time it held the lock, and one round trip).
   */
  counterLock?(waitSeconds: number, holdSeconds: number): void
}

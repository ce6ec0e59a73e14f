import type { CallbackEvent, EventOutcome, Topic, TopicChange } from '../contract/read-api.ts'

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

/**
 * Durable storage of callbacks. Every write commits before its promise resolves; implementations group
 * writes that arrive together into one transaction.
 *
 * @example
 * ```ts
 * const outcome = await store.record(received, { kind: 'createTopic', topic })
 * ```
 */
export interface Store {
  readonly kind: StoreKind
  /** Logs the callback and applies its effect in one transaction; resolves once committed. */
  record(callback: ReceivedCallback, effect: Effect): Promise<EventOutcome>
  /** Re-applies a rejected event with a new effect and updates its outcome, in one transaction. */
  replay(eventId: number, effect: Effect, nowMs: number): Promise<EventOutcome>
  getTopic(topicId: string): Promise<Topic | undefined>
  /** Topics in insertion order after `after`; only those of `groupId`, and only those among `topicIds`, when given. */
  listTopics(query: {
    groupId?: string | undefined
    topicIds?: readonly string[] | undefined
    limit: number
    after: number
  }): Promise<Page<Topic>>
  listEvents(query: {
    command?: string | undefined
    outcome?: EventOutcome | undefined
    limit: number
    after: number
  }): Promise<Page<CallbackEvent>>
  /** The rejected events after `after`, oldest first, for `replay`. */
  listRejected(after: number, limit: number): Promise<StoredEvent[]>
  /** Every topic of a group, deleted ones included, for reconciliation. */
  groupTopics(groupId: string): Promise<Topic[]>
  /** The groups that have a live topic in the mirror, for reconciliation. */
  liveGroupIds(): Promise<string[]>
  /** How many topics of the mirror are live, for reconciliation's limit on deletes. */
  countLiveTopics(): Promise<number>
  /**
   * Applies reconciliation's changes in one transaction, each logged as an event with source
   * `reconcile`; resolves with the changes that took effect. A delete takes effect only on a topic
   * still live and unchanged since `listedAtMs` (when IM's listing was read), so that a callback that
   * arrived during the reconciliation is never undone by it.
   */
  applyMirrorChanges(changes: readonly MirrorChange[], nowMs: number, listedAtMs: number): Promise<MirrorChange[]>
  /**
   * Takes the lease `name` for `holder` until `nowMs + ttlMs` if nobody else holds it (or theirs ran
   * out); renews it if `holder` has it. Resolves whether `holder` holds it now.
   */
  acquireLease(name: string, holder: string, nowMs: number, ttlMs: number): Promise<boolean>
  /** Gives the lease back, if `holder` has it. */
  releaseLease(name: string, holder: string): Promise<void>
  /**
   * The change feed: each topic at the position of its latest change, after position `after`, in
   * order. A position, once a reader has seen it, has no unseen position below it: positions are
   * handed out in commit order.
   */
  listChanges(query: { after: number; limit: number }): Promise<ChangePage>
  /** The last position handed out (0 before any change). */
  lastPosition(): Promise<number>
  /**
   * Tells `listener` each time changes commit, through this store or (on PostgreSQL, by LISTEN) any
   * other replica; returns a function that stops telling.
   */
  watchChanges(listener: ChangeListener): () => void
  /**
   * Resolves when the database answers a trivial query and, after a write failed for a reason other
   * than its data (a full disk, a read-only file), when a write commits again.
   */
  ping(): Promise<void>
  /**
   * One step of event log retention: reads the `limit` events after position `after`, and deletes
   * those received before `before` (ms since the epoch), except rejected ones unless
   * `includeRejected`. A step is one short transaction, so callbacks wait for it a few milliseconds
   * at most; call it again from `last` while `more`.
   */
  pruneEvents(options: PruneEventsOptions): Promise<PruneEventsStep>
  /** Waits for pending writes, then closes the connections. */
  close(): Promise<void>
}

/** Told how the store's transactions go (the service's metrics). */
export interface StoreObserver {
  commit(batchSize: number, seconds: number): void
  commitFailure(): void
  /** A transaction lost a deadlock or a serialization conflict and is run again. */
  conflictRetry?(): void
}

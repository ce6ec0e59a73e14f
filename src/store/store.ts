/**
 * The store's interface, cut into the roles its users play: the callback path writes, the read API
 * reads, reconciliation writes the mirror and takes leases, the change feed follows, retention prunes,
 * and the entries check its health. Each user asks for the roles it needs.
 * @module
 */
import type { CallbackEvent, EventOutcome, Topic } from '../contract/read-api.ts'
import type { Subscriptions } from './subscription-role.ts'
import type {
  ChangeListener,
  ChangePage,
  Effect,
  MirrorChange,
  Page,
  PruneEventsOptions,
  PruneEventsStep,
  ReceivedCallback,
  StoredEvent,
  StoreKind,
} from './types.ts'

/**
 * What the callback path writes: each callback logged with its effect, and `replay`'s second try.
 *
 * @example
 * ```ts
 * const outcome = await store.record(received, { kind: 'createTopic', topic })
 * ```
 */
export interface CallbackWrites {
  /** Logs the callback and applies its effect in one transaction; resolves once committed. */
  record(callback: ReceivedCallback, effect: Effect): Promise<EventOutcome>
  /** Re-applies a rejected event with a new effect and updates its outcome, in one transaction. */
  replay(eventId: number, effect: Effect, nowMs: number): Promise<EventOutcome>
}

/**
 * What the read API and `replay` read: topics and the event log.
 *
 * @example
 * ```ts
 * const topic = await store.getTopic('@TGS#_@TGS#cQVLVHIM62CJ@TOPIC#_@TOPIC#cRTE3HIM62C5')
 * ```
 */
export interface Reads {
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
}

/**
 * What reconciliation reads of the mirror and writes to it.
 *
 * @example
 * ```ts
 * const applied = await store.applyMirrorChanges(changes, Date.now(), listedAt)
 * ```
 */
export interface MirrorWrites {
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
}

/**
 * Leases in the database, so that one replica at a time does a job (reconciliation).
 *
 * @example
 * ```ts
 * if (await store.acquireLease('reconcile', holder, Date.now(), 60_000)) await work()
 * ```
 */
export interface Leases {
  /**
   * Takes the lease `name` for `holder` until `nowMs + ttlMs` if nobody else holds it (or theirs ran
   * out); renews it if `holder` has it. Resolves whether `holder` holds it now.
   */
  acquireLease(name: string, holder: string, nowMs: number, ttlMs: number): Promise<boolean>
  /** Gives the lease back, if `holder` has it. */
  releaseLease(name: string, holder: string): Promise<void>
}

export type {
  AttemptResult,
  DeliveryAttempt,
  StoredSubscription,
  SubscriptionPatch,
  Subscriptions,
} from './subscription-role.ts'

/** A key of the read API as the store keeps it: never its secret, only the secret's hash. */
export interface StoredApiKey {
  id: string
  name: string
  scopes: string[]
  secretHash: string
  /** RFC 3339, UTC. */
  createdAt: string
  lastUsedAt: string | null
  revokedAt: string | null
}

/**
 * The keys of the read API: made and ended by the CLI, read by every replica's key ring.
 *
 * @example
 * ```ts
 * const keys = await store.listApiKeys()
 * ```
 */
export interface ApiKeys {
  /** Stores a new key. */
  insertApiKey(key: Omit<StoredApiKey, 'lastUsedAt' | 'revokedAt'>): Promise<void>
  /** Every key, revoked ones included, oldest first. */
  listApiKeys(): Promise<StoredApiKey[]>
  /**
   * Revokes a key at `at`, and disables its webhook subscriptions; resolves false when there is no
   * such key or it was already revoked.
   */
  revokeApiKey(id: string, at: string): Promise<boolean>
  /** Records that these keys were used at `at`. */
  touchApiKeys(ids: string[], at: string): Promise<void>
}

/**
 * The change feed as the store keeps it: its pages, its head, and word of each commit.
 *
 * @example
 * ```ts
 * const page = await store.listChanges({ after: 0, limit: 100 })
 * ```
 */
export interface Feed {
  /**
   * The change feed: each topic at the position of its latest change, after position `after`, in
   * order. A position, once a reader has seen it, has no unseen position below it: positions are
   * handed out in commit order.
   */
  listChanges(query: { after: number; limit: number }): Promise<ChangePage>
  /** The last position handed out (0 before any change). */
  lastPosition(): Promise<number>
  /** How many topics have a change after `after`, counted up to `cap`. */
  countChanges(after: number, cap: number): Promise<number>
  /**
   * Tells `listener` each time changes commit, through this store or (on PostgreSQL, by LISTEN) any
   * other replica; returns a function that stops telling.
   */
  watchChanges(listener: ChangeListener): () => void
}

/**
 * Event log retention.
 *
 * @example
 * ```ts
 * const step = await store.pruneEvents({ before: Date.now() - 30 * 86_400_000, after: 0, limit: 500, includeRejected: false })
 * ```
 */
export interface Retention {
  /**
   * One step of event log retention: reads the `limit` events after position `after`, and deletes
   * those received before `before` (ms since the epoch), except rejected ones unless
   * `includeRejected`. A step is one short transaction, so callbacks wait for it a few milliseconds
   * at most; call it again from `last` while `more`.
   */
  pruneEvents(options: PruneEventsOptions): Promise<PruneEventsStep>
}

/**
 * Which database, whether it answers, and closing it.
 *
 * @example
 * ```ts
 * await store.ping() // throws while the database is away
 * ```
 */
export interface Health {
  readonly kind: StoreKind
  /**
   * Resolves when the database answers a trivial query and, after a write failed for a reason other
   * than its data (a full disk, a read-only file), when a write commits again.
   */
  ping(): Promise<void>
  /** Waits for pending writes, then closes the connections. */
  close(): Promise<void>
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
export interface Store
  extends CallbackWrites,
    Reads,
    MirrorWrites,
    Leases,
    Feed,
    Retention,
    Health,
    ApiKeys,
    Subscriptions {}

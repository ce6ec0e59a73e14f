/**
 * The store's role for webhook subscriptions, apart from the other roles for its size; `store.ts`
 * re-exports it.
 * @module
 */
import type { ChangeKind } from '../contract/read-api.ts'

/** A webhook subscription as the store keeps it, secrets included (each delivery is signed with them). */
export interface StoredSubscription {
  id: string
  /** The key that made it; `API_TOKEN` for the operator's token. */
  ownerKeyId: string
  url: string
  /** Only changes to topics of these groups; null for every group. */
  groupIds: string[] | null
  /** Only changes of these kinds; null for every kind. */
  kinds: ChangeKind[] | null
  secret: string
  /** The secret before the last rotation, which also signs until `previousSecretUntilMs`. */
  previousSecret: string | null
  previousSecretUntilMs: number | null
  status: 'active' | 'disabled'
  disabledReason: string | null
  /** The last position acknowledged or filtered out: delivery resumes after it. */
  position: number
  /** Failed attempts in a row at the change after `position`. */
  failures: number
  /** When the next attempt is due (ms since the epoch); null when none is waiting. */
  nextAttemptAtMs: number | null
  lastError: string | null
  /** RFC 3339, UTC. */
  createdAt: string
}

/** One attempt at delivering one change. */
export interface DeliveryAttempt {
  position: number
  webhookId: string
  /** RFC 3339, UTC. */
  at: string
  /** The endpoint's HTTP status; null when it gave none (a timeout, a refused connection). */
  statusCode: number | null
  error: string | null
  durationMs: number
}

/** What an attempt leaves behind: the cursor moved on, or the retry state after a failure. */
export type AttemptResult =
  | { acknowledged: true; from: number }
  | {
      acknowledged: false
      failures: number
      nextAttemptAtMs: number | null
      /** Disables the subscription with this reason. */
      disable?: string | undefined
    }

/** Fields of a subscription that its owner and its deliverer change. */
export type SubscriptionPatch = Partial<
  Pick<
    StoredSubscription,
    | 'status'
    | 'disabledReason'
    | 'failures'
    | 'nextAttemptAtMs'
    | 'lastError'
    | 'secret'
    | 'previousSecret'
    | 'previousSecretUntilMs'
  >
>

/**
 * Webhook subscriptions, their cursors and their recent attempts: written by the API and by the
 * replica that holds the delivery lease.
 *
 * @example
 * ```ts
 * const active = (await store.listSubscriptions()).filter((s) => s.status === 'active')
 * ```
 */
export interface Subscriptions {
  insertSubscription(subscription: StoredSubscription): Promise<void>
  /** Every subscription, or those of one owner, oldest first. */
  listSubscriptions(ownerKeyId?: string): Promise<StoredSubscription[]>
  getSubscription(id: string): Promise<StoredSubscription | undefined>
  /** Deletes a subscription and its attempts; resolves false when there was none. */
  deleteSubscription(id: string): Promise<boolean>
  /** Changes some fields; resolves false when there is no such subscription. */
  updateSubscription(id: string, patch: SubscriptionPatch): Promise<boolean>
  /**
   * Logs an attempt and applies its result; attempts recorded at the same time, by several
   * subscriptions' workers, share one transaction. An acknowledgement moves the cursor to the
   * attempt's position only if it is still at `from`: resolves whether it did (a failure: true).
   */
  recordAttempt(subscriptionId: string, attempt: DeliveryAttempt, result: AttemptResult): Promise<boolean>
  /** Deletes all but the `keep` most recent attempts of each subscription. */
  pruneAttempts(keep: number): Promise<void>
  /** Moves the cursor past changes the filter leaves out, if it is still at `from`. */
  skipTo(id: string, from: number, to: number): Promise<void>
  /** The most recent attempts, newest first. */
  listAttempts(id: string, limit: number): Promise<DeliveryAttempt[]>
}

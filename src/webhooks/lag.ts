import type { Feed } from '../store/store.ts'

/** Lag past this many changes is shown as this many: counting further costs more than it tells. */
export const LAG_COUNT_CAP = 100_000

/** How many recent attempts each subscription keeps, for `GET /subscriptions/{id}/attempts`. */
export const ATTEMPTS_KEPT = 100

/**
 * How far a subscription is behind the feed: the changes after the position it acknowledged, and the
 * age in seconds of the oldest of them (0 when it is caught up).
 *
 * @example
 * ```ts
 * const { changes, seconds } = await subscriptionLag(store, subscription.position, Date.now())
 * ```
 */
export async function subscriptionLag(
  store: Pick<Feed, 'countChanges' | 'listChanges'>,
  position: number,
  nowMs: number,
): Promise<{ changes: number; seconds: number }> {
  const [changes, next] = await Promise.all([
    store.countChanges(position, LAG_COUNT_CAP),
    store.listChanges({ after: position, limit: 1 }),
  ])
  const oldest = next.items[0]
  const seconds = oldest === undefined ? 0 : Math.max(0, (nowMs - Date.parse(oldest.at)) / 1000)
  return { changes, seconds: Math.round(seconds * 1000) / 1000 }
}

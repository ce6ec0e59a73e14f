import type { TopicChange } from '../contract/read-api.ts'
import type { StoredSubscription } from '../store/store.ts'
import { sign } from './signature.ts'

/** The event type of a change: `topic.created`, `topic.updated` or `topic.deleted`. */
export const eventType = (change: TopicChange) => `topic.${change.kind}` as const

/**
 * Whether a subscription's filter lets a change through: its topic's group among `groupIds`, its kind
 * among `kinds` (each unset: any).
 *
 * @example
 * ```ts
 * if (!wants(subscription, change)) await store.skipTo(subscription.id, from, change.position)
 * ```
 */
export function wants(subscription: Pick<StoredSubscription, 'groupIds' | 'kinds'>, change: TopicChange): boolean {
  return (
    (subscription.groupIds === null || subscription.groupIds.includes(change.topic.GroupId)) &&
    (subscription.kinds === null || subscription.kinds.includes(change.kind))
  )
}

/**
 * The `webhook-id` of one change for one subscription: the same on every attempt, so that a receiver
 * can tell a redelivery from a new change.
 *
 * @example
 * ```ts
 * webhookId('sub_q3x7mzk2a4bcdefgh2jk', 42) // 'msg_q3x7mzk2a4bcdefgh2jk_42'
 * ```
 */
export const webhookId = (subscriptionId: string, position: number) =>
  `msg_${subscriptionId.replace(/^sub_/, '')}_${position}`

/**
 * One delivery's body and headers, signed with the subscription's secret, and during a rotation's
 * grace period with the previous one too.
 *
 * @example
 * ```ts
 * const { body, headers } = signedDelivery(subscription, change, Date.now())
 * ```
 */
export function signedDelivery(
  subscription: Pick<StoredSubscription, 'id' | 'secret' | 'previousSecret' | 'previousSecretUntilMs'>,
  change: TopicChange,
  nowMs: number,
): { id: string; body: string; headers: Record<string, string> } {
  const id = webhookId(subscription.id, change.position)
  const body = JSON.stringify({ type: eventType(change), timestamp: change.at, data: change })
  const timestamp = Math.floor(nowMs / 1000)
  const secrets = [subscription.secret]
  if (subscription.previousSecret !== null && (subscription.previousSecretUntilMs ?? 0) > nowMs)
    secrets.push(subscription.previousSecret)
  return {
    id,
    body,
    headers: {
      'content-type': 'application/json',
      'user-agent': 'im-topic-sync-webhooks',
      'webhook-id': id,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': sign(secrets, id, timestamp, body),
    },
  }
}

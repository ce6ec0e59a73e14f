import { z } from '@hono/zod-openapi'
import { idString } from './limits.ts'
import { ChangeKind, TopicChange } from './read-api.ts'

const dateTime = z.string().openapi({ format: 'date-time' })

/** The most groups one subscription may name. */
export const MAX_GROUP_IDS = 100

/**
 * The body of `POST /subscriptions`: where to deliver, which changes, and from where.
 *
 * @example
 * ```ts
 * NewSubscriptionRequest.parse({ url: 'https://hooks.example.com/im', kinds: ['created'] })
 * ```
 */
export const NewSubscriptionRequest = z
  .strictObject({
    url: z.string().openapi({ format: 'uri', maxLength: 2048 }),
    groupIds: z
      .array(idString())
      .min(1, { error: 'groupIds must name at least one group; leave it out for every group' })
      .max(MAX_GROUP_IDS, { error: `groupIds may name at most ${MAX_GROUP_IDS} groups` })
      .optional(),
    kinds: z
      .array(ChangeKind)
      .min(1, { error: 'kinds must name at least one kind; leave it out for every kind' })
      .max(3)
      .optional(),
    after: z
      .string()
      .regex(/^(now|[0-9]{1,15})$/, {
        error: 'after must be "now" or a position: decimal digits ("0" replays the whole feed)',
      })
      .optional(),
  })
  .openapi('NewSubscriptionRequest')

/**
 * A webhook subscription, as its owner sees it (never its secret).
 *
 * @example
 * ```ts
 * const subscription: Subscription = (await client.GET('/subscriptions/{id}', …)).data!
 * ```
 */
export const Subscription = z
  .object({
    id: z.string(),
    url: z.string(),
    groupIds: z.array(z.string()).nullable(),
    kinds: z.array(ChangeKind).nullable(),
    status: z.enum(['active', 'disabled']),
    disabledReason: z.string().nullable(),
    owner: z.string(),
    position: z.number().int(),
    lag: z.object({ changes: z.number().int(), seconds: z.number() }),
    failures: z.number().int(),
    lastError: z.string().nullable(),
    nextAttemptAt: dateTime.nullable(),
    createdAt: dateTime,
  })
  .openapi('Subscription')

/** A webhook subscription. */
export type Subscription = z.infer<typeof Subscription>

/**
 * A new subscription: the subscription and its signing secret, shown only in this answer.
 *
 * @example
 * ```ts
 * const { id, secret } = (await client.POST('/subscriptions', { body: { url } })).data!
 * ```
 */
export const NewSubscription = Subscription.extend({ secret: z.string() }).openapi('NewSubscription')

/**
 * The answer of a rotation: the new secret, and until when the previous one also signs.
 *
 * @example
 * ```ts
 * const { secret, previousSecretExpiresAt } = rotated
 * ```
 */
export const RotatedSecret = z
  .object({ secret: z.string(), previousSecretExpiresAt: dateTime })
  .openapi('RotatedSecret')

/**
 * Every subscription the key may see.
 *
 * @example
 * ```ts
 * const { items } = (await client.GET('/subscriptions')).data!
 * ```
 */
export const SubscriptionList = z.object({ items: z.array(Subscription) }).openapi('SubscriptionList')

/**
 * One delivery attempt.
 *
 * @example
 * ```ts
 * const failed = attempts.items.filter((a: DeliveryAttempt) => a.error !== null)
 * ```
 */
export const DeliveryAttempt = z
  .object({
    position: z.number().int(),
    webhookId: z.string(),
    at: dateTime,
    statusCode: z.number().int().nullable(),
    error: z.string().nullable(),
    durationMs: z.number().int(),
  })
  .openapi('DeliveryAttempt')

/**
 * The most recent attempts of a subscription, newest first.
 *
 * @example
 * ```ts
 * const { items } = (await client.GET('/subscriptions/{id}/attempts', …)).data!
 * ```
 */
export const DeliveryAttemptList = z.object({ items: z.array(DeliveryAttempt) }).openapi('DeliveryAttemptList')

/**
 * The path of the operations on one subscription.
 *
 * @example
 * ```ts
 * SubscriptionParams.parse({ id: 'sub_q3x7mzk2a4bcdefgh2jk' })
 * ```
 */
export const SubscriptionParams = z.object({ id: z.string() })

/**
 * The body of one delivery, as the endpoint receives it.
 *
 * @example
 * ```ts
 * const event: WebhookEvent = JSON.parse(body)
 * ```
 */
export const WebhookEvent = z
  .object({
    type: z.enum(['topic.created', 'topic.updated', 'topic.deleted']),
    timestamp: dateTime,
    data: TopicChange,
  })
  .openapi('WebhookEvent')

/** The body of one delivery. */
export type WebhookEvent = z.infer<typeof WebhookEvent>

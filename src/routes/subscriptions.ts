import { createRoute } from '@hono/zod-openapi'
import type { MiddlewareHandler } from 'hono'
import type { App, AppEnv } from '../app-env.ts'
import { randomBase32, type Scope } from '../auth/api-key.ts'
import { OPERATOR_KEY_ID, type Principal } from '../auth/key-ring.ts'
import type { WebhookConfig } from '../config/index.ts'
import { Refusal } from '../contract/refusal.ts'
import {
  DeliveryAttemptList,
  NewSubscription,
  NewSubscriptionRequest,
  RotatedSecret,
  Subscription,
  SubscriptionList,
  SubscriptionParams,
} from '../contract/subscriptions.ts'
import type { Store, StoredSubscription } from '../store/store.ts'
import { urlProblem } from '../webhooks/address-policy.ts'
import { subscriptionLag } from '../webhooks/lag.ts'
import { AddressRefused, connectAddress } from '../webhooks/post-delivery.ts'
import { newSecret } from '../webhooks/signature.ts'
import { fail, headersTooLarge, keyRefusals, ok, bearerSecurity as security } from './responses.ts'

const guarded = {
  tags: ['Subscriptions'],
  security: security('subscriptions:write'),
}
const byId = { params: SubscriptionParams }
const common = {
  ...keyRefusals,
  503: fail('The database is unavailable.'),
  ...headersTooLarge,
}
const notFound = { 404: fail('No subscription with this id is visible to this key.') }

/** `POST /subscriptions`. */
export const createSubscriptionRoute = createRoute({
  method: 'post',
  path: '/subscriptions',
  operationId: 'createSubscription',
  ...guarded,
  request: {
    body: { required: true, content: { 'application/json': { schema: NewSubscriptionRequest } } },
  },
  responses: {
    201: ok('The subscription, with its signing secret (shown only here).', NewSubscription),
    400: fail('The body is invalid, `after` is beyond the feed, or the URL is refused.'),
    ...common,
  },
})

/** `GET /subscriptions`. */
export const listSubscriptionsRoute = createRoute({
  method: 'get',
  path: '/subscriptions',
  operationId: 'listSubscriptions',
  ...guarded,
  responses: { 200: ok('The subscriptions this key made (every one for API_TOKEN).', SubscriptionList), ...common },
})

/** `GET /subscriptions/{id}`. */
export const getSubscriptionRoute = createRoute({
  method: 'get',
  path: '/subscriptions/{id}',
  operationId: 'getSubscription',
  ...guarded,
  request: byId,
  responses: { 200: ok('The subscription and how its deliveries go.', Subscription), ...notFound, ...common },
})

/** `DELETE /subscriptions/{id}`. */
export const deleteSubscriptionRoute = createRoute({
  method: 'delete',
  path: '/subscriptions/{id}',
  operationId: 'deleteSubscription',
  ...guarded,
  request: byId,
  responses: { 204: { description: 'Deleted: nothing more is delivered to it.' }, ...notFound, ...common },
})

/** `POST /subscriptions/{id}/enable`. */
export const enableSubscriptionRoute = createRoute({
  method: 'post',
  path: '/subscriptions/{id}/enable',
  operationId: 'enableSubscription',
  ...guarded,
  request: byId,
  responses: {
    200: ok('The subscription, active again.', Subscription),
    400: fail('The key that made it was revoked: it stays disabled.'),
    ...notFound,
    ...common,
  },
})

/** `POST /subscriptions/{id}/rotate-secret`. */
export const rotateSecretRoute = createRoute({
  method: 'post',
  path: '/subscriptions/{id}/rotate-secret',
  operationId: 'rotateSubscriptionSecret',
  ...guarded,
  request: byId,
  responses: { 200: ok('The new secret, shown only here.', RotatedSecret), ...notFound, ...common },
})

/** `GET /subscriptions/{id}/attempts`. */
export const listAttemptsRoute = createRoute({
  method: 'get',
  path: '/subscriptions/{id}/attempts',
  operationId: 'listDeliveryAttempts',
  ...guarded,
  request: byId,
  responses: {
    200: ok('The most recent delivery attempts, newest first.', DeliveryAttemptList),
    ...notFound,
    ...common,
  },
})

/** What {@link registerSubscriptions} needs. */
export interface SubscriptionsDeps {
  store: Store
  guard: (scope: Scope) => MiddlewareHandler<AppEnv>
  webhooks: Pick<WebhookConfig, 'allowPrivateUrls' | 'secretGraceSeconds'>
  clock: () => number
}

/**
 * Why `url` cannot be a webhook endpoint, checked as the deliveries will be: its form, and (unless
 * private addresses are allowed) every address its host has now. Deliveries check the addresses
 * again at each connection.
 */
async function checkUrl(url: string, allowPrivate: boolean): Promise<void> {
  const problem = urlProblem(url)
  if (problem !== undefined) throw new Refusal('PARAMETER_INVALID', problem)
  if (allowPrivate) return
  try {
    await connectAddress(new URL(url), false)
  } catch (error) {
    if (error instanceof AddressRefused) throw new Refusal('URL_REFUSED', `url: ${error.message}`)
    throw new Refusal(
      'URL_REFUSED',
      `url: its host ${new URL(url).hostname} cannot be resolved (${(error as Error).message}); deliveries need an address`,
    )
  }
}

/**
 * Registers the webhook subscriptions behind the `subscriptions:write` scope: each key sees and
 * changes only the subscriptions it made; `API_TOKEN` sees them all.
 *
 * @example
 * ```ts
 * registerSubscriptions(app, { store, guard, webhooks: config.webhooks, clock: Date.now })
 * ```
 */
export function registerSubscriptions(app: App, { store, guard, webhooks, clock }: SubscriptionsDeps): void {
  app.use('/subscriptions/*', guard('subscriptions:write'))

  const describe = async (s: StoredSubscription): Promise<Subscription> => ({
    id: s.id,
    url: s.url,
    groupIds: s.groupIds,
    kinds: s.kinds,
    status: s.status,
    disabledReason: s.disabledReason,
    owner: s.ownerKeyId,
    position: s.position,
    lag: await subscriptionLag(store, s.position, clock()),
    failures: s.failures,
    lastError: s.lastError,
    nextAttemptAt: s.nextAttemptAtMs === null ? null : new Date(s.nextAttemptAtMs).toISOString(),
    createdAt: s.createdAt,
  })

  /** The subscription `id`, if the principal may see it; else a 404 that does not say whether it exists. */
  async function visible(principal: Principal, id: string): Promise<StoredSubscription> {
    const found = id.length <= 64 ? await store.getSubscription(id) : undefined
    if (!found || (principal.keyId !== OPERATOR_KEY_ID && found.ownerKeyId !== principal.keyId))
      throw new Refusal('NOT_FOUND', `No subscription ${JSON.stringify(id.slice(0, 64))} is visible to this key`)
    return found
  }

  app.openapi(createSubscriptionRoute, async (c) => {
    const body = c.req.valid('json')
    await checkUrl(body.url, webhooks.allowPrivateUrls)
    const last = await store.lastPosition()
    const after = body.after === undefined || body.after === 'now' ? last : Number(body.after)
    if (after > last) {
      throw new Refusal(
        'PARAMETER_INVALID',
        `after ${after} is beyond the last position of this feed (${last}); use "now", "0", or a position you read`,
      )
    }
    const secret = newSecret()
    const subscription: StoredSubscription = {
      id: `sub_${randomBase32(20)}`,
      ownerKeyId: c.get('principal')!.keyId,
      // As the URL parser writes it: control characters and the like percent-encoded, so that what is
      // stored is what is requested (and a NUL, which PostgreSQL's text refuses, never reaches it).
      url: new URL(body.url).href,
      groupIds: body.groupIds === undefined ? null : [...new Set(body.groupIds)],
      kinds: body.kinds === undefined ? null : [...new Set(body.kinds)],
      secret,
      previousSecret: null,
      previousSecretUntilMs: null,
      status: 'active',
      disabledReason: null,
      position: after,
      failures: 0,
      nextAttemptAtMs: null,
      lastError: null,
      createdAt: new Date(clock()).toISOString(),
    }
    await store.insertSubscription(subscription)
    return c.json({ ...(await describe(subscription)), secret }, 201)
  })

  app.openapi(listSubscriptionsRoute, async (c) => {
    const principal = c.get('principal')!
    const all = await store.listSubscriptions(principal.keyId === OPERATOR_KEY_ID ? undefined : principal.keyId)
    return c.json({ items: await Promise.all(all.map(describe)) }, 200)
  })

  app.openapi(getSubscriptionRoute, async (c) => {
    const subscription = await visible(c.get('principal')!, c.req.valid('param').id)
    return c.json(await describe(subscription), 200)
  })

  app.openapi(deleteSubscriptionRoute, async (c) => {
    const subscription = await visible(c.get('principal')!, c.req.valid('param').id)
    await store.deleteSubscription(subscription.id)
    return c.body(null, 204)
  })

  app.openapi(enableSubscriptionRoute, async (c) => {
    const subscription = await visible(c.get('principal')!, c.req.valid('param').id)
    // A revoked key's subscriptions stay off: nothing more goes to a team whose access ended.
    if (subscription.ownerKeyId !== OPERATOR_KEY_ID) {
      const owner = (await store.listApiKeys()).find((key) => key.id === subscription.ownerKeyId)
      if (owner?.revokedAt != null) {
        throw new Refusal(
          'PARAMETER_INVALID',
          `The key ${owner.id} that made this subscription was revoked; make a new subscription with a current key`,
        )
      }
    }
    // It resumes at the first change it did not acknowledge, with a fresh retry schedule.
    const patch = { status: 'active', disabledReason: null, failures: 0, nextAttemptAtMs: null } as const
    await store.updateSubscription(subscription.id, patch)
    return c.json(await describe({ ...subscription, ...patch }), 200)
  })

  app.openapi(rotateSecretRoute, async (c) => {
    const subscription = await visible(c.get('principal')!, c.req.valid('param').id)
    const secret = newSecret()
    const until = clock() + webhooks.secretGraceSeconds * 1000
    await store.updateSubscription(subscription.id, {
      secret,
      previousSecret: subscription.secret,
      previousSecretUntilMs: until,
    })
    return c.json({ secret, previousSecretExpiresAt: new Date(until).toISOString() }, 200)
  })

  app.openapi(listAttemptsRoute, async (c) => {
    const subscription = await visible(c.get('principal')!, c.req.valid('param').id)
    return c.json({ items: await store.listAttempts(subscription.id, 100) }, 200)
  })
}

import { randomUUID } from 'node:crypto'
import type { WebhookConfig } from '../config/index.ts'
import { describeError, type Logger } from '../log/index.ts'
import type { Metrics } from '../metrics/index.ts'
import type { Feed, Leases, StoredSubscription, Subscriptions } from '../store/store.ts'
import { ATTEMPTS_KEPT, subscriptionLag } from './lag.ts'
import { type PostOutcome, type PostRequest, postDelivery } from './post-delivery.ts'
import { runWorker } from './subscription-worker.ts'

/**
 * Delivers the change feed to the webhook subscriptions. One replica at a time delivers (a lease in
 * the database, taken over within `leaseMs` when its holder dies); on it, each subscription has a
 * worker of its own, so a slow or dead endpoint holds up only itself.
 *
 * @example
 * ```ts
 * const dispatcher = createWebhookDispatcher({ store, log, metrics, config: config.webhooks })
 * dispatcher.start()
 * ```
 */
export interface WebhookDispatcher {
  start(): void
  /** Stops every worker (a delivery in flight is cut, and sent again later), and gives the lease back. */
  stop(): Promise<void>
}

/**
 * Options of {@link createWebhookDispatcher}.
 *
 * @example
 * ```ts
 * const options: WebhookDispatcherOptions = { store, log, metrics, config: loadConfig(process.env).webhooks }
 * ```
 */
export interface WebhookDispatcherOptions {
  store: Subscriptions & Feed & Leases
  log: Logger
  metrics: Pick<Metrics, 'webhookAttempt' | 'webhookDisabled' | 'webhookLags'>
  config: WebhookConfig
  /** How often it looks for new subscriptions and renews its lease; also the backstop for missed wake-ups. */
  pollMs?: number
  /** How long the lease lasts unless renewed: how soon another replica takes over from a dead one. */
  leaseMs?: number
  now?: () => number
  post?: (request: PostRequest) => Promise<PostOutcome>
}

const LEASE = 'webhooks'
/** A delivery starts only while the lease has this long left: it cannot outlive it by much. */
const LEASE_MARGIN_MS = 3000
const LAG_EVERY_MS = 5000

/**
 * Makes the service's {@link WebhookDispatcher}.
 *
 * @example
 * ```ts
 * const dispatcher = createWebhookDispatcher({ store, log, metrics, config: config.webhooks, pollMs: 1000 })
 * ```
 */
export function createWebhookDispatcher({
  store,
  log,
  metrics,
  config,
  pollMs = 1000,
  leaseMs = 15_000,
  now = Date.now,
  post = postDelivery,
}: WebhookDispatcherOptions): WebhookDispatcher {
  const holder = randomUUID()
  const workers = new Map<string, { abort: AbortController; done: Promise<void> }>()
  /** Workers waiting for the feed to move. */
  const waiting = new Set<() => void>()
  let heldUntil = 0
  let stopped = false
  let timer: ReturnType<typeof setTimeout> | undefined
  let tickDone: Promise<void> = Promise.resolve()
  let stopWatching: (() => void) | undefined
  let started = false
  let lagAt = 0
  let lastTickError: string | undefined

  /** Resolves after `ms`, when `signal` aborts, or (with `wake`) when changes commit. */
  function sleep(ms: number, signal: AbortSignal, wake: boolean): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timeout)
        waiting.delete(done)
        signal.removeEventListener('abort', done)
        resolve()
      }
      const timeout = setTimeout(done, ms)
      if (wake) waiting.add(done)
      signal.addEventListener('abort', done, { once: true })
    })
  }

  function startWorker(id: string) {
    const abort = new AbortController()
    const done = runWorker(id, abort.signal, {
      store,
      log,
      metrics,
      config,
      post,
      now,
      pollMs,
      sleep,
      leaseSure: () => now() <= heldUntil - LEASE_MARGIN_MS,
    }).finally(() => {
      if (workers.get(id)?.abort === abort) workers.delete(id)
    })
    workers.set(id, { abort, done })
  }

  /**
   * Stops the workers of every subscription but `keep`'s. A stopped worker stays listed until it has
   * ended, so that no second worker starts for its subscription while it finishes.
   */
  function stopWorkers(keep?: Set<string>) {
    for (const [id, worker] of workers) if (!keep?.has(id)) worker.abort.abort()
  }

  async function tick(): Promise<void> {
    let active: StoredSubscription[]
    const wasHeld = heldUntil > 0
    try {
      active = (await store.listSubscriptions()).filter((s) => s.status === 'active')
      if (active.length === 0) {
        if (heldUntil > 0) await store.releaseLease(LEASE, holder)
        heldUntil = 0
      } else {
        const asked = now()
        heldUntil = (await store.acquireLease(LEASE, holder, asked, leaseMs)) ? asked + leaseMs : 0
      }
      lastTickError = undefined
    } catch (error) {
      heldUntil = 0
      active = []
      const described = describeError(error)
      if (lastTickError !== described.error) log.warn('webhook delivery paused: the database failed', described)
      lastTickError = String(described.error)
    }
    if (heldUntil > 0 && !wasHeld) log.info('delivering webhooks', { holder, subscriptions: active.length })
    if (heldUntil === 0 && wasHeld && active.length > 0)
      log.info('webhook deliveries left to another replica', { holder })
    if (heldUntil === 0) {
      stopWorkers()
      metrics.webhookLags(new Map())
      // Only the delivering replica listens for changes (on PostgreSQL, a LISTEN connection of its own).
      stopWatching?.()
      stopWatching = undefined
      return
    }
    stopWatching ??= store.watchChanges(() => {
      for (const wake of [...waiting]) wake()
    })
    const ids = new Set(active.map((s) => s.id))
    stopWorkers(ids)
    for (const id of ids) if (!workers.has(id)) startWorker(id)
    if (now() - lagAt >= LAG_EVERY_MS) {
      lagAt = now()
      const lags = new Map<string, { changes: number; seconds: number }>()
      for (const subscription of active)
        lags.set(subscription.id, await subscriptionLag(store, subscription.position, lagAt))
      metrics.webhookLags(lags)
      await store.pruneAttempts(ATTEMPTS_KEPT)
    }
  }

  function schedule() {
    if (stopped) return
    timer = setTimeout(() => {
      tickDone = tick()
        .catch((error: unknown) => log.warn('webhook delivery paused', describeError(error)))
        .finally(schedule)
    }, pollMs)
  }

  return {
    start() {
      if (stopped || started) return
      started = true
      tickDone = tick()
        .catch((error: unknown) => log.warn('webhook delivery paused', describeError(error)))
        .finally(schedule)
    },
    async stop() {
      stopped = true
      clearTimeout(timer)
      await tickDone
      stopWatching?.()
      stopWatching = undefined
      const running = [...workers.values()].map((w) => w.done)
      stopWorkers()
      await Promise.allSettled(running)
      if (heldUntil > 0) await store.releaseLease(LEASE, holder).catch(() => {})
      heldUntil = 0
    },
  }
}

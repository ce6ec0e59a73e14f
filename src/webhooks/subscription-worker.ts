import type { WebhookConfig } from '../config/index.ts'
import type { TopicChange } from '../contract/read-api.ts'
import { describeError, type Logger } from '../log/index.ts'
import type { Metrics } from '../metrics/index.ts'
import type { Feed, StoredSubscription, Subscriptions } from '../store/store.ts'
import { signedDelivery, wants } from './delivery.ts'
import { errorText, outcomeKind, type PostOutcome, type PostRequest } from './post-delivery.ts'

/** Changes read at a time for one subscription: its memory, however far behind it is. */
const PAGE = 100
/** A worker waiting for a retry looks at its subscription this often (an `enable` or a delete ends the wait). */
const RECHECK_MS = 2000
/** How old a worker's copy of its subscription may be: a rotation or a delete is seen within this. */
const FRESH_MS = 1000

/** A worker's copy of its subscription, and when it was read. */
interface View {
  subscription: StoredSubscription
  readAt: number
  /**
   * The commits of acknowledgements still running: the next change is sent meanwhile (the endpoint
   * acknowledged the last one), and the store commits them in order, several in one transaction.
   */
  pendingAcks: Promise<boolean>[]
}

/**
 * Waits for the acknowledgements' commits; false when one did not move the cursor (something else had
 * moved it), and the worker must read its subscription again.
 */
async function settle(view: View): Promise<boolean> {
  if (view.pendingAcks.length === 0) return true
  const results = await Promise.all(view.pendingAcks.splice(0))
  if (results.every(Boolean)) return true
  view.readAt = 0
  return false
}

/** The cursor was moved by something else than this worker: it reads its subscription again. */
class CursorMoved extends Error {}

/** What a subscription's worker works with; the dispatcher gives it. */
export interface WorkerContext {
  store: Subscriptions & Feed
  log: Logger
  metrics: Pick<Metrics, 'webhookAttempt' | 'webhookDisabled'>
  config: WebhookConfig
  post: (request: PostRequest) => Promise<PostOutcome>
  now: () => number
  pollMs: number
  /** Resolves after `ms`, when `signal` aborts, or (with `wake`) when changes commit. */
  sleep(ms: number, signal: AbortSignal, wake: boolean): Promise<void>
  /** Whether this replica surely holds the delivery lease for a while yet: a delivery starts only then. */
  leaseSure(): boolean
}

/**
 * One subscription's worker: reads a page after its cursor, moves the cursor past what its filter
 * leaves out, and delivers each change it wants, one at a time, until `signal` aborts or the
 * subscription is disabled or deleted.
 *
 * @example
 * ```ts
 * const done = runWorker('sub_q3x7mzk2a4bcdefgh2jkmn', abort.signal, context)
 * ```
 */
export async function runWorker(id: string, signal: AbortSignal, context: WorkerContext): Promise<void> {
  const { store, log, metrics, config, post, now, pollMs, sleep, leaseSure } = context

  /** Reads the subscription again if the worker's copy is older than {@link FRESH_MS} (or `force`); false once it is gone. */
  async function refresh(view: View, force = false): Promise<boolean> {
    if (!(await settle(view))) force = true
    if (!force && now() - view.readAt < FRESH_MS) return true
    const subscription = await store.getSubscription(view.subscription.id)
    if (subscription === undefined) return false
    view.subscription = subscription
    view.readAt = now()
    return true
  }

  /**
   * Attempts one change until it is acknowledged; resolves false when it was not (the subscription
   * was disabled, deleted or moved, the worker stopped, or the lease is in doubt).
   */
  async function deliverChange(view: View, change: TopicChange, from: number, signal: AbortSignal): Promise<boolean> {
    for (;;) {
      if (signal.aborted || !(await refresh(view))) return false
      const subscription = view.subscription
      const id = subscription.id
      if (subscription.status !== 'active' || subscription.position !== from) return false
      const wait = (subscription.nextAttemptAtMs ?? 0) - now()
      if (wait > 0) {
        // An enable, a rotation or a delete during the wait is seen when it ends.
        await sleep(Math.min(wait, RECHECK_MS), signal, false)
        view.readAt = 0
        continue
      }
      // Until the next tick renews the lease (or stops this worker because another replica has it).
      if (!leaseSure()) {
        await sleep(pollMs, signal, false)
        continue
      }
      const at = now()
      const { id: webhookId, body, headers } = signedDelivery(subscription, change, at)
      const outcome = await post({
        url: subscription.url,
        headers,
        body,
        timeoutMs: config.timeoutMs,
        allowPrivate: config.allowPrivateUrls,
        signal,
      })
      // Cut by stop(): nothing is known of it, and it is sent again, with the same webhook-id.
      if (signal.aborted && outcome.statusCode === null) return false
      const attempt = {
        position: change.position,
        webhookId,
        at: new Date(at).toISOString(),
        statusCode: outcome.statusCode,
        error: errorText(outcome),
        durationMs: outcome.durationMs,
      }
      metrics.webhookAttempt(id, outcomeKind(outcome))
      if (outcome.error === null) {
        const ack = store.recordAttempt(id, attempt, { acknowledged: true, from })
        // Handled where it is awaited (settle); until then a failure must not count as unhandled.
        ack.catch(() => {})
        view.pendingAcks.push(ack)
        view.subscription = {
          ...subscription,
          position: change.position,
          failures: 0,
          nextAttemptAtMs: null,
          lastError: null,
        }
        return true
      }
      if (!(await settle(view))) return false
      const failures = subscription.failures + 1
      const schedule = config.retrySchedule
      const disable =
        outcome.statusCode === 410
          ? 'the endpoint answered 410 Gone'
          : failures > schedule.length
            ? `${failures} attempts at position ${change.position} failed; the last: ${attempt.error}`
            : undefined
      // Jitter of ±20 %, so that the retries of many subscriptions do not fall at one moment.
      const delayMs = disable ? 0 : schedule[failures - 1]! * 1000 * (0.8 + 0.4 * Math.random())
      const nextAttemptAtMs = disable ? null : now() + Math.round(delayMs)
      await store.recordAttempt(id, attempt, { acknowledged: false, failures, nextAttemptAtMs, disable })
      view.subscription = {
        ...subscription,
        failures,
        nextAttemptAtMs,
        lastError: attempt.error,
        ...(disable ? { status: 'disabled' as const, disabledReason: disable } : {}),
      }
      if (disable) {
        metrics.webhookDisabled(id)
        log.warn('webhook subscription disabled', { subscription: id, url: subscription.url, reason: disable })
        return false
      }
      log.info('webhook attempt failed', {
        subscription: id,
        position: change.position,
        attempt: failures,
        error: attempt.error,
        retryInSeconds: Math.round(delayMs / 100) / 10,
      })
    }
  }

  /** Delivers what the filter wants of one page, moving the cursor past what it does not. */
  async function deliverPage(view: View, items: TopicChange[], signal: AbortSignal): Promise<void> {
    const { id } = view.subscription
    let from = view.subscription.position
    let passed = from
    const skip = async () => {
      if (!(await settle(view))) throw new CursorMoved()
      await store.skipTo(id, from, passed)
      from = view.subscription.position = passed
    }
    for (const change of items) {
      if (!wants(view.subscription, change)) {
        passed = change.position
        continue
      }
      if (passed !== from) await skip()
      if (!(await deliverChange(view, change, from, signal))) {
        view.readAt = 0
        return
      }
      from = passed = change.position
    }
    if (passed !== from && !signal.aborted) await skip()
    await settle(view)
  }

  async function work(): Promise<void> {
    let view: View | undefined
    try {
      await loop()
    } finally {
      // The last acknowledgement commits before the worker ends (the store closes after it).
      if (view) await Promise.allSettled(view.pendingAcks)
    }

    async function loop(): Promise<void> {
      while (!signal.aborted) {
        try {
          if (view === undefined) {
            const subscription = await store.getSubscription(id)
            if (subscription === undefined) return
            view = { subscription, readAt: now(), pendingAcks: [] }
          } else if (!(await refresh(view))) return
          if (view.subscription.status !== 'active') return
          const page = await store.listChanges({ after: view.subscription.position, limit: PAGE })
          if (page.items.length === 0) await sleep(pollMs, signal, true)
          else await deliverPage(view, page.items, signal)
        } catch (error) {
          if (view) view.pendingAcks = []
          if (error instanceof CursorMoved) {
            view!.readAt = 0
            continue
          }
          log.warn('webhook delivery paused: the database failed', { subscription: id, ...describeError(error) })
          if (view) view.readAt = 0
          await sleep(pollMs, signal, false)
        }
      }
    }
  }

  return work()
}

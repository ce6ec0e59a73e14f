import { randomUUID } from 'node:crypto'
import type { Logger } from '../log/index.ts'
import { describeError } from '../log/index.ts'
import type { Leases, MirrorWrites } from '../store/store.ts'
import type { ImRestClient } from './im-rest-client.ts'
import { MassDeleteRefused, type ReconcileReport, reconcileMirror } from './reconcile-mirror.ts'

/**
 * Reconciliation inside the service: at startup, every `intervalMs`, and for one group soon after a
 * callback says it changed. One replica at a time reconciles: a lease in the database decides which.
 *
 * @example
 * ```ts
 * const reconciler = createReconciler({ store, client, log, intervalMs: 3_600_000 })
 * reconciler.start()
 * ```
 */
export interface Reconciler {
  /** Runs once now, then every `intervalMs` (when it is above 0). */
  start(): void
  /** Reconciles `groupId` after `debounceMs`, once for any number of requests in that time. */
  requestGroup(groupId: string): void
  /** Reconciles now; resolves undefined when another replica holds the lease. */
  run(groupId?: string): Promise<ReconcileReport | undefined>
  /** Stops the timers and ends a run in progress at once (within a call to IM), then waits for it. */
  stop(): Promise<void>
}

/**
 * Options of {@link createReconciler}.
 *
 * @example
 * ```ts
 * const options: ReconcilerOptions = { store, client, log, intervalMs: 3_600_000, debounceMs: 2000 }
 * ```
 */
export interface ReconcilerOptions {
  store: MirrorWrites & Leases
  client: ImRestClient
  log: Logger
  intervalMs: number
  debounceMs?: number
  /** How long the lease lasts unless renewed (it is renewed before each group). */
  leaseMs?: number
  /** Lets a run delete more than a tenth of the mirror (RECONCILE_ALLOW_MASS_DELETE). */
  allowMassDelete?: boolean
  now?: () => number
}

const LEASE = 'reconcile'

class LeaseLost extends Error {
  override readonly name = 'LeaseLost'
}

/**
 * Makes the service's {@link Reconciler}.
 *
 * @example
 * ```ts
 * const reconciler = createReconciler({ store, client, log, intervalMs: 3_600_000 })
 * ```
 */
export function createReconciler({
  store,
  client,
  log,
  intervalMs,
  debounceMs = 2000,
  leaseMs = 60_000,
  allowMassDelete = false,
  now = Date.now,
}: ReconcilerOptions): Reconciler {
  const holder = randomUUID()
  const pending = new Set<string>()
  let chain: Promise<unknown> = Promise.resolve()
  let interval: ReturnType<typeof setInterval> | undefined
  let debounce: ReturnType<typeof setTimeout> | undefined
  let deferred: ReturnType<typeof setTimeout> | undefined
  let stopped = false
  const stopping = new AbortController()

  async function runLocked(groupId: string | undefined): Promise<ReconcileReport | undefined> {
    if (!(await store.acquireLease(LEASE, holder, now(), leaseMs))) {
      if (groupId !== undefined) {
        log.debug('reconciliation deferred: another replica holds the lease', { groupId })
        return undefined
      }
      // A whole run must not be lost to a lease whose holder may have died (it runs out in leaseMs):
      // try again then. If the holder is alive and done by then, this is one more run than needed.
      log.info('reconciliation deferred: another replica holds the lease', { retryInMs: leaseMs })
      clearTimeout(deferred)
      deferred = setTimeout(() => void enqueue(undefined).catch(() => {}), leaseMs)
      deferred.unref?.()
      return undefined
    }
    try {
      const started = now()
      const report = await reconcileMirror({
        store,
        client,
        groupId,
        allowMassDelete,
        now,
        signal: stopping.signal,
        beforeGroup: async () => {
          if (stopped) throw new LeaseLost('the service is stopping')
          if (!(await store.acquireLease(LEASE, holder, now(), leaseMs)))
            throw new LeaseLost('the reconciliation lease was lost')
        },
      })
      // Which topics changed, not their profiles: logs carry no user content.
      for (const { kind, groupId: group, topicId } of report.changes)
        log.info('reconcile change', { change: kind, groupId: group, topicId })
      for (const failure of report.failures) log.warn('reconcile failure', { failure })
      log.info('reconciled', {
        ...(groupId === undefined ? {} : { groupId }),
        groups: report.groups,
        changes: report.changes.length,
        failures: report.failures.length,
        ms: now() - started,
      })
      return report
    } finally {
      await store.releaseLease(LEASE, holder).catch(() => {})
    }
  }

  /** Runs one at a time in this process; a failure is logged, never thrown into a timer. */
  function enqueue(groupId: string | undefined): Promise<ReconcileReport | undefined> {
    const next = chain.then(() => (stopped ? undefined : runLocked(groupId)))
    chain = next.catch((error: unknown) => {
      const which = groupId === undefined ? {} : { groupId }
      if (error instanceof MassDeleteRefused) {
        // What it would have done, by ID (no user content), so that an operator can judge it.
        const held = error.wouldDelete.slice(0, 100).map((c) => `${c.groupId} ${c.topicId}`)
        log.error('reconciliation stopped before a mass delete', { ...which, error: error.message, wouldDelete: held })
      } else if (stopped) log.info('reconciliation ended: the service is stopping', which)
      else log.warn('reconciliation failed', { ...which, ...describeError(error) })
    })
    return next
  }

  function flushPending(): void {
    debounce = undefined
    const groups = [...pending]
    pending.clear()
    for (const groupId of groups) {
      void enqueue(groupId).then(
        (report) => {
          // Another replica held the lease: try again after the debounce, unless stopping.
          if (report === undefined && !stopped) requestGroup(groupId)
        },
        () => {},
      )
    }
  }

  function requestGroup(groupId: string): void {
    if (stopped) return
    pending.add(groupId)
    debounce ??= setTimeout(flushPending, debounceMs)
  }

  return {
    start() {
      void enqueue(undefined).catch(() => {})
      if (intervalMs > 0) {
        interval = setInterval(() => void enqueue(undefined).catch(() => {}), intervalMs)
        interval.unref?.()
      }
    },
    requestGroup,
    run: enqueue,
    async stop() {
      stopped = true
      clearInterval(interval)
      clearTimeout(debounce)
      clearTimeout(deferred)
      stopping.abort(new LeaseLost('the service is stopping'))
      await chain
    },
  }
}

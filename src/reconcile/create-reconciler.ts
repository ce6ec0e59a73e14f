import { randomUUID } from 'node:crypto'
import type { Logger } from '../log/index.ts'
import { describeError } from '../log/index.ts'
import type { Store } from '../store/types.ts'
import type { ImRestClient } from './im-rest-client.ts'
import { type ReconcileReport, reconcileMirror } from './reconcile-mirror.ts'

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
  /** Stops the timers and waits for a run in progress. */
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
  store: Store
  client: ImRestClient
  log: Logger
  intervalMs: number
  debounceMs?: number
  /** How long the lease lasts unless renewed (it is renewed before each group). */
  leaseMs?: number
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
  now = Date.now,
}: ReconcilerOptions): Reconciler {
  const holder = randomUUID()
  const pending = new Set<string>()
  let chain: Promise<unknown> = Promise.resolve()
  let interval: ReturnType<typeof setInterval> | undefined
  let debounce: ReturnType<typeof setTimeout> | undefined
  let stopped = false

  async function runLocked(groupId: string | undefined): Promise<ReconcileReport | undefined> {
    if (!(await store.acquireLease(LEASE, holder, now(), leaseMs))) {
      log.debug('reconciliation skipped: another replica holds the lease', groupId === undefined ? {} : { groupId })
      return undefined
    }
    try {
      const started = now()
      const report = await reconcileMirror({
        store,
        client,
        groupId,
        now,
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
    const next = chain.then(() => runLocked(groupId))
    chain = next.catch((error: unknown) =>
      log.warn('reconciliation failed', { ...(groupId === undefined ? {} : { groupId }), ...describeError(error) }),
    )
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
      await chain
    },
  }
}

import { randomUUID } from 'node:crypto'
import type { Logger } from '../log/index.ts'
import { describeError } from '../log/index.ts'
import type { Leases, Retention } from '../store/store.ts'

/**
 * Event log retention: deletes events older than `retentionDays`, at startup and every `intervalMs`,
 * in small steps with a pause between them, so that callbacks never wait long behind it. Rejected
 * events that `replay` has not resolved are kept unless `pruneRejected`. One replica at a time
 * prunes: a lease in the database decides which.
 *
 * @example
 * ```ts
 * const pruner = createEventPruner({ store, log, retentionDays: 30, pruneRejected: false })
 * pruner.start()
 * ```
 */
export interface EventPruner {
  /** Prunes now, then every `intervalMs`. */
  start(): void
  /** Prunes now; resolves undefined when another replica holds the lease or a run is in progress. */
  run(): Promise<PruneReport | undefined>
  /** Stops the timer, and the run in progress after its current step. */
  stop(): Promise<void>
}

/** What one run deleted. */
export interface PruneReport {
  deleted: number
  /** Events received before this time were deleted (ISO 8601). */
  olderThan: string
  ms: number
}

/**
 * Options of {@link createEventPruner}.
 *
 * @example
 * ```ts
 * const options: EventPrunerOptions = { store, log, retentionDays: 30, pruneRejected: false }
 * ```
 */
export interface EventPrunerOptions {
  store: Retention & Leases
  log: Logger
  /** Events older than this many days are deleted; above 0. */
  retentionDays: number
  /** Whether rejected events that were never resolved are deleted too. */
  pruneRejected: boolean
  /** Time between runs; an hour by default. */
  intervalMs?: number
  /** Events read per step (one short transaction). */
  batchSize?: number
  /** Pause between steps, for callbacks to get the database. */
  pauseMs?: number
  leaseMs?: number
  now?: () => number
  /** Told how many events each step deleted (the metrics count them). */
  onPruned?(count: number): void
}

const LEASE = 'prune-events'
const DAY_MS = 86_400_000

/**
 * Makes the service's {@link EventPruner}.
 *
 * @example
 * ```ts
 * const pruner = createEventPruner({ store, log, retentionDays: 30, pruneRejected: false })
 * ```
 */
export function createEventPruner({
  store,
  log,
  retentionDays,
  pruneRejected,
  intervalMs = 3_600_000,
  batchSize = 500,
  pauseMs = 20,
  leaseMs = 60_000,
  now = Date.now,
  onPruned,
}: EventPrunerOptions): EventPruner {
  if (!(retentionDays > 0))
    throw new TypeError(`createEventPruner: retentionDays must be above 0, got ${retentionDays}`)
  const holder = randomUUID()
  let running: Promise<PruneReport | undefined> | undefined
  let interval: ReturnType<typeof setInterval> | undefined
  let stopped = false

  async function prune(): Promise<PruneReport | undefined> {
    if (!(await store.acquireLease(LEASE, holder, now(), leaseMs))) {
      log.debug('event pruning skipped: another replica holds the lease')
      return undefined
    }
    const started = now()
    const before = started - retentionDays * DAY_MS
    let deleted = 0
    try {
      for (let after = 0; !stopped; ) {
        const step = await store.pruneEvents({ before, after, limit: batchSize, includeRejected: pruneRejected })
        deleted += step.deleted
        if (step.deleted > 0) onPruned?.(step.deleted)
        if (!step.more) break
        after = step.last
        await new Promise((resolve) => setTimeout(resolve, pauseMs))
        // Renewed at every step, so that a long first run on an old database keeps it.
        if (!(await store.acquireLease(LEASE, holder, now(), leaseMs))) break
      }
    } finally {
      await store.releaseLease(LEASE, holder).catch(() => {})
    }
    const report = { deleted, olderThan: new Date(before).toISOString(), ms: now() - started }
    if (deleted > 0)
      log.info('events pruned', { ...report, retentionDays, rejected: pruneRejected ? 'pruned' : 'kept' })
    return report
  }

  function run(): Promise<PruneReport | undefined> {
    if (running) return Promise.resolve(undefined)
    running = prune().finally(() => (running = undefined))
    return running
  }

  const runLogged = () =>
    void run().catch((error) =>
      log.warn('event pruning failed; it runs again at the next interval', describeError(error)),
    )

  return {
    start() {
      stopped = false
      runLogged()
      interval = setInterval(runLogged, intervalMs)
      // The timer alone must not keep a process alive that has nothing else to do.
      interval.unref?.()
    },
    run,
    async stop() {
      stopped = true
      clearInterval(interval)
      await running?.catch(() => {})
    },
  }
}

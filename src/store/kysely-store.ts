import { type Kysely, sql, type Transaction } from 'kysely'
import type { EventOutcome } from '../contract/read-api.ts'
import { apiKeyQueries } from './api-keys.ts'
import { assignPositions, type CounterLockTiming } from './change-positions.ts'
import { CONFLICT_BUDGET_MS } from './conflicts.ts'
import { createGroupCommit } from './group-commit.ts'
import { applyMirrorChanges } from './mirror-changes.ts'
import type { Committed, PreparedBatchWriter } from './prepared-batch.ts'
import { readQueries } from './read-queries.ts'
import type { Database } from './schema.ts'
import type { Store } from './store.ts'
import { StoreError, WritesFailingError } from './store-error.ts'
import { subscriptionQueries } from './subscriptions.ts'
import type { ChangeListener, StoreKind, StoreObserver } from './types.ts'
import { upkeepQueries } from './upkeep-queries.ts'
import { applyEffect, iso, noNul, type Write, writeBatch } from './write-batch.ts'

/** Options of {@link createKyselyStore}. */
export interface KyselyStoreOptions {
  db: Kysely<Database>
  kind: StoreKind
  /** Whether an error is about the data of one write (retry the batch one by one) rather than the database. */
  isDataError(error: unknown): boolean
  /**
   * Whether a transaction failed only because a concurrent one got in its way (PostgreSQL's deadlock
   * or serialization failure, SQLite's lock held by another connection): it is rolled back and run
   * again, after a pause that does not block the event loop, for up to {@link CONFLICT_BUDGET_MS}.
   */
  isConflict?(error: unknown): boolean
  /**
   * Whether a transaction failed because its connection was lost (PostgreSQL's backend terminated, the
   * socket closed). Before COMMIT was sent, nothing of it was written, and it is run again on another
   * connection, within the same budget as a conflict; during COMMIT its outcome is unknown, and the
   * error stands.
   */
  isConnectionLost?(error: unknown): boolean
  /** Closes what the dialect opened, after Kysely is destroyed. */
  onClose?(): Promise<void> | void
  observer?: StoreObserver | undefined
  /**
   * Tells `listener` of changes committed by other processes (PostgreSQL's LISTEN); returns a
   * function that stops telling. Changes committed through this store are told without it.
   */
  watchOthers?(listener: ChangeListener): () => void
  /**
   * Commits the batches it accepts with prepared statements (the hot write: sqlite-batch.ts,
   * postgres-batch.ts), rather than through Kysely's query building.
   */
  plainWrites?: PreparedBatchWriter | undefined
}

/** The lease row that readiness writes, and removes in the same transaction, to see whether writes work. */
const PROBE_LEASE = 'readiness-write-probe'

/** 64 KiB that no database compresses, so that the probe writes as much as a batch of callbacks would. */
let probe: string | undefined
function probeText(): string {
  probe ??= Array.from(crypto.getRandomValues(new Uint8Array(32 * 1024)), (b) => b.toString(16).padStart(2, '0')).join(
    '',
  )
  return probe
}

function storeError(what: string, error: unknown): StoreError {
  return error instanceof StoreError ? error : new StoreError(`${what} failed`, { cause: error })
}

/**
 * The one implementation of {@link Store}, over Kysely: the SQLite and PostgreSQL stores differ only in
 * the dialect they hand it.
 *
 * @example
 * ```ts
 * const store = createKyselyStore({ db, kind: 'sqlite', isDataError: () => false })
 * ```
 */
export function createKyselyStore({
  db,
  kind,
  isDataError,
  isConflict = () => false,
  isConnectionLost = () => false,
  onClose,
  observer,
  watchOthers,
  plainWrites,
}: KyselyStoreOptions): Store {
  const listeners = new Set<ChangeListener>()
  // The error of the last write while writes fail for a reason other than their data (a full disk, a
  // read-only file, a lost database); null once a write commits. `ping` then tries a write.
  let writeFailure: unknown = null
  let stopWatchingOthers: (() => void) | undefined
  // Told after a commit: a listener that throws must not turn a committed write into a failed one.
  const tell = (position?: number) => {
    for (const listener of listeners) {
      try {
        listener(position)
      } catch {}
    }
  }

  /** Notes how a write went: readiness tries a write of its own while writes fail (see `ping`). */
  function noted<T>(work: Promise<T>): Promise<T> {
    return work.then(
      (value) => {
        writeFailure = null
        return value
      },
      (error: unknown) => {
        if (!isDataError(error)) writeFailure = error
        throw error
      },
    )
  }

  /**
   * Runs `work` again while it fails only because a concurrent transaction got in its way (a deadlock,
   * a serialization failure, a SQLite write lock held elsewhere): it was rolled back whole. For up to
   * {@link CONFLICT_BUDGET_MS}, with pauses that do not block the event loop.
   */
  async function retryingConflicts<T>(
    work: () => Promise<T>,
    alsoRetry: (error: unknown) => boolean = () => false,
  ): Promise<T> {
    const started = performance.now()
    for (let attempt = 1; ; attempt++) {
      try {
        return await work()
      } catch (error) {
        const conflict = isConflict(error)
        if ((!conflict && !alsoRetry(error)) || performance.now() - started > CONFLICT_BUDGET_MS) throw error
        if (conflict) observer?.conflictRetry?.()
        // Backing off to 100 ms, with jitter so that two transactions do not meet again at once.
        await new Promise((resolve) => setTimeout(resolve, Math.min(100, 2 ** attempt) * (0.5 + Math.random())))
      }
    }
  }

  /**
   * Runs `work` in a transaction that numbers the topics it changes, and tells the listeners after
   * commit; a transaction that lost a conflict, or its connection before COMMIT, is run again.
   */
  function changing<T>(work: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
    // Whether the attempt under way got as far as COMMIT: a connection lost there leaves its outcome unknown.
    let committing = false
    return noted(
      retryingConflicts(
        async () => {
          committing = false
          let last: number | null = null
          const lock: CounterLockTiming = { requested: 0, granted: 0 }
          const result = await db.transaction().execute(async (trx) => {
            const value = await work(trx)
            last = await assignPositions(trx, kind, lock)
            committing = true
            return value
          })
          if (last !== null) {
            if (kind === 'postgres') reportLock(lock)
            tell(last)
          }
          return result
        },
        (error) => !committing && isConnectionLost(error),
      ),
    )
  }

  /** Tells the observer how long a transaction that has just committed waited for the counter's lock and held it. */
  const reportLock = ({ requested, granted }: CounterLockTiming) =>
    observer?.counterLock?.((granted - requested) / 1000, (performance.now() - granted) / 1000)

  /** A batch of callbacks committed with prepared statements, told to the listeners like any other. */
  async function committedElsewhere(
    commit: (items: Write[]) => Promise<Committed>,
    items: Write[],
  ): Promise<EventOutcome[]> {
    const { outcomes, last, lock } = await noted(commit(items))
    if (lock) reportLock(lock)
    if (last !== null) tell(last)
    return outcomes
  }

  /**
   * The prepared path, run again like `changing` after a conflict, or after losing its connection
   * before COMMIT.
   */
  const commitPlain = (writer: PreparedBatchWriter) => (items: Write[]) =>
    retryingConflicts(
      () => writer.commit(items),
      (error) => isConnectionLost(error) && (error as { committing?: boolean }).committing !== true,
    )

  async function commitBatch(items: Write[]): Promise<EventOutcome[]> {
    if (plainWrites?.accepts(items)) {
      try {
        return await committedElsewhere(commitPlain(plainWrites), items)
      } catch (error) {
        // A writer that has just turned itself off (postgres-batch.ts) rolled the batch back: Kysely writes it.
        if (plainWrites.accepts(items)) throw error
      }
    }
    return changing((trx) => writeBatch(trx, items))
  }

  const writes = createGroupCommit<Write, EventOutcome>({
    commit: commitBatch,
    isolate: isDataError,
    ...(observer
      ? { onCommit: (size, seconds) => observer.commit(size, seconds), onFailure: () => observer.commitFailure() }
      : {}),
  })

  async function guarded<T>(what: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work()
    } catch (error) {
      throw storeError(what, error)
    }
  }

  return {
    kind,
    ...apiKeyQueries(db, guarded, retryingConflicts),
    ...subscriptionQueries(db, kind, guarded, retryingConflicts),
    ...readQueries(db, guarded),
    ...upkeepQueries(db, guarded, retryingConflicts),
    record: (callback, effect) => guarded('recording the callback', () => writes.submit({ callback, effect })),

    replay: (eventId, effect, nowMs) =>
      guarded('replaying the event', () =>
        changing(async (trx) => {
          const event = await trx
            .selectFrom('callback_events')
            .select(['received_at', 'outcome'])
            .where('id', '=', eventId)
            .executeTakeFirst()
          if (!event) throw new StoreError(`event ${eventId} does not exist`)
          if (event.outcome !== 'rejected') return event.outcome
          const { outcome, reason } = await applyEffect(trx, effect, iso(new Date(event.received_at).getTime()))
          await trx
            .updateTable('callback_events')
            .set({ outcome, reason: reason === null ? null : noNul(reason), replayed_at: iso(nowMs) })
            .where('id', '=', eventId)
            .execute()
          return outcome
        }),
      ),

    applyMirrorChanges: (changes, nowMs, listedAtMs) =>
      guarded('applying the reconciliation', () =>
        changing((trx) => applyMirrorChanges(trx, changes, nowMs, listedAtMs)),
      ),

    watchChanges(listener) {
      listeners.add(listener)
      if (listeners.size === 1 && watchOthers) stopWatchingOthers = watchOthers(tell)
      return () => {
        if (!listeners.delete(listener) || listeners.size > 0) return
        stopWatchingOthers?.()
        stopWatchingOthers = undefined
      }
    },

    ping: () =>
      guarded('pinging the database', async () => {
        await sql`select 1`.execute(db)
        if (writeFailure === null) return
        // Reads can work while writes fail (a full disk): only a write shows that writes work again. This
        // one is the size of a batch of callbacks, and leaves nothing behind.
        try {
          await retryingConflicts(() =>
            db.transaction().execute(async (trx) => {
              await trx
                .insertInto('leases')
                .values({ name: PROBE_LEASE, holder: probeText(), expires_at_ms: 0 })
                .execute()
              await trx.deleteFrom('leases').where('name', '=', PROBE_LEASE).execute()
            }),
          )
          writeFailure = null
        } catch (error) {
          throw new WritesFailingError('writes are failing', { cause: error })
        }
      }),

    async close() {
      await writes.drain()
      listeners.clear()
      stopWatchingOthers?.()
      stopWatchingOthers = undefined
      await db.destroy()
      await onClose?.()
    },
  }
}

import { type Kysely, sql } from 'kysely'
import type { Database } from './schema.ts'
import type { Store } from './store.ts'

/**
 * The store's upkeep over the query layer: the leases that let one replica at a time run a job, and
 * the event log's pruning. `retrying` runs a statement again after it lost a conflict.
 *
 * @example
 * ```ts
 * const upkeep = upkeepQueries(db, guarded, retryingConflicts)
 * ```
 */
export function upkeepQueries(
  db: Kysely<Database>,
  guarded: <T>(what: string, work: () => Promise<T>) => Promise<T>,
  retryingConflicts: <T>(work: () => Promise<T>) => Promise<T>,
): Pick<Store, 'acquireLease' | 'releaseLease' | 'pruneEvents'> {
  return {
    acquireLease: (name, holder, nowMs, ttlMs) =>
      guarded('taking the lease', async () => {
        // One statement: the database decides who holds it, whichever replica asks first.
        await retryingConflicts(() =>
          sql`insert into leases (name, holder, expires_at_ms) values (${name}, ${holder}, ${nowMs + ttlMs})
            on conflict (name) do update set holder = excluded.holder, expires_at_ms = excluded.expires_at_ms
            where leases.holder = excluded.holder or leases.expires_at_ms < ${nowMs}`.execute(db),
        )
        const row = await db.selectFrom('leases').select('holder').where('name', '=', name).executeTakeFirst()
        return row?.holder === holder
      }),

    releaseLease: (name, holder) =>
      guarded('releasing the lease', async () => {
        await retryingConflicts(() =>
          db.deleteFrom('leases').where('name', '=', name).where('holder', '=', holder).execute(),
        )
      }),

    pruneEvents: ({ before, after, limit, includeRejected }) =>
      guarded('pruning events', async () => {
        // Reads by position, the primary key, rather than by age, which has no index (one would cost
        // every callback's insert): events are numbered in the order they arrive, near enough.
        const rows = await db
          .selectFrom('callback_events')
          .select(['id', 'received_at', 'outcome'])
          .where('id', '>', after)
          .orderBy('id')
          .limit(limit)
          .execute()
        const old = rows.filter((row) => new Date(row.received_at).getTime() < before)
        const doomed = old.filter((row) => includeRejected || row.outcome !== 'rejected').map((row) => row.id)
        if (doomed.length > 0)
          await retryingConflicts(() => db.deleteFrom('callback_events').where('id', 'in', doomed).execute())
        const last = rows.length > 0 ? Number(rows[rows.length - 1]!.id) : after
        return { deleted: doomed.length, last, more: rows.length === limit && old.length > 0 }
      }),
  }
}

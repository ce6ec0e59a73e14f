import { sql, type Transaction } from 'kysely'
import type { Database } from './schema.ts'
import type { StoreKind } from './types.ts'

/** The PostgreSQL channel on which a committed change's position is announced to every replica. */
export const CHANGES_CHANNEL = 'im_topic_changes'

/**
 * The columns every write that changes a topic sets: when, and a pending position that
 * {@link assignPositions} fills in at the end of the transaction.
 */
export const changedAt = (at: string) => ({ updated_at: at, position: null })

/**
 * Numbers the topics this transaction changed, as its last statements, and resolves with the last
 * position handed out (or null when it changed no topic).
 *
 * Why a reader can never see a position appear behind one it has already read: the positions come
 * from `change_counter`'s single row, and updating that row takes its row lock until the transaction
 * commits. A second transaction, on this replica or another, waits for the first to commit before it
 * reads the counter, so positions are handed out in commit order and become visible in that order.
 * SQLite has one writer at a time, so the same statements give the same order there. Taking the lock
 * last keeps it for the commit alone (no deadlock: the holder needs no other lock), and a transaction
 * that changed no topic does not take it.
 *
 * Pending rows are found by `position is null`: in PostgreSQL, another transaction's pending rows are
 * invisible to this one, and a committed row always has its position.
 */
export async function assignPositions(trx: Transaction<Database>, kind: StoreKind): Promise<number | null> {
  const { pending } = await trx
    .selectFrom('topics')
    .select((eb) => eb.fn.countAll<number | string>().as('pending'))
    .where('position', 'is', null)
    .executeTakeFirstOrThrow()
  const count = Number(pending)
  if (count === 0) return null
  // On PostgreSQL the same statement announces the new head; NOTIFY is delivered at commit, to every
  // replica that listens, and not at all if the transaction rolls back.
  const announce = kind === 'postgres' ? sql`, pg_notify(${CHANGES_CHANNEL}, (last)::text)` : sql``
  const counter = await sql<{
    last: number | string
  }>`update change_counter set last = last + ${count} where id = 1 returning last${announce}`.execute(trx)
  const last = Number(counter.rows[0]!.last)
  const base = last - count
  await sql`update topics
    set position = ${base} + pending.n,
        created_position = coalesce(topics.created_position, ${base} + pending.n)
    from (select seq, row_number() over (order by seq) as n from topics where position is null) as pending
    where topics.seq = pending.seq`.execute(trx)
  return last
}

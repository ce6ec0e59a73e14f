import { CompiledQuery, sql, type Transaction } from 'kysely'
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
 * When the change counter's lock was asked for and when it was granted ({@link assignPositions}), in
 * `performance.now()` milliseconds, so that the caller can tell how long it waited for it and, once
 * its transaction has committed, how long it held it.
 */
export interface CounterLockTiming {
  requested: number
  granted: number
}

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
 *
 * On PostgreSQL it is one statement: counting, taking the counter and numbering happen in one round
 * trip, so the lock is held for the commit's round trip alone. SQLite, whose lock is the whole
 * database's and which has no writing `with`, runs the three statements.
 */
export async function assignPositions(
  trx: Transaction<Database>,
  kind: StoreKind,
  timing?: CounterLockTiming,
): Promise<number | null> {
  if (timing) timing.requested = performance.now()
  const last = kind === 'postgres' ? await numberOnPostgres(trx) : await numberOnSqlite(trx)
  if (timing) timing.granted = performance.now()
  return last
}

/**
 * The pending topics, the counter moved past them (announcing the new head: NOTIFY is delivered at
 * commit, to every replica that listens, and not at all on a rollback) and the topics numbered, in one
 * statement. `numbered` reads `counter`'s answer, so PostgreSQL runs the counter's update first; the
 * topics are this transaction's own rows, already locked by it. With nothing pending, the counter is
 * not touched and no row comes back. Shared by Kysely's path and the prepared one (postgres-batch.ts).
 */
export const NUMBER_PENDING_ON_POSTGRES = {
  text: `with pending as (
      select seq, row_number() over (order by seq) as n from topics where position is null
    ), total as (
      select count(*) as n from pending
    ), counter as (
      update change_counter set last = last + total.n from total
      where id = 1 and total.n > 0
      returning last, total.n, pg_notify($1, (last)::text)
    ), numbered as (
      update topics
      set position = counter.last - counter.n + pending.n,
          created_position = coalesce(topics.created_position, counter.last - counter.n + pending.n)
      from pending, counter
      where topics.seq = pending.seq
    )
    select last from counter`,
  values: [CHANGES_CHANNEL],
} as const

async function numberOnPostgres(trx: Transaction<Database>): Promise<number | null> {
  const { rows } = await trx.executeQuery<{ last: number | string }>(
    CompiledQuery.raw(NUMBER_PENDING_ON_POSTGRES.text, [...NUMBER_PENDING_ON_POSTGRES.values]),
  )
  return rows.length === 0 ? null : Number(rows[0]!.last)
}

async function numberOnSqlite(trx: Transaction<Database>): Promise<number | null> {
  const { pending } = await trx
    .selectFrom('topics')
    .select((eb) => eb.fn.countAll<number | string>().as('pending'))
    .where('position', 'is', null)
    .executeTakeFirstOrThrow()
  const count = Number(pending)
  if (count === 0) return null
  const counter = await sql<{
    last: number | string
  }>`update change_counter set last = last + ${count} where id = 1 returning last`.execute(trx)
  const last = Number(counter.rows[0]!.last)
  const base = last - count
  await sql`update topics
    set position = ${base} + pending.n,
        created_position = coalesce(topics.created_position, ${base} + pending.n)
    from (select seq, row_number() over (order by seq) as n from topics where position is null) as pending
    where topics.seq = pending.seq`.execute(trx)
  return last
}

/**
 * The hot write on SQLite: a batch of callbacks committed with prepared statements, without building
 * a query per batch.
 *
 * Why two writers, and one set of rules: `writeBatch` (write-batch.ts) writes every kind of batch on
 * both databases through Kysely; this one writes only the common batches (creates, and callbacks that
 * change no topic) on SQLite, as plain prepared SQL, which costs a third less per callback than
 * building the queries (docs/benchmarks.md). What a write means (the rows, the outcomes, the TopicId order that keeps replicas from
 * deadlocking) is defined once, in write-batch.ts, and imported here; the store's tests run the same
 * batches through both and compare the tables.
 * @module
 */
import type { EventOutcome } from '../contract/read-api.ts'
import { acceptsPrepared, type Committed, layOut, type PreparedCreate } from './prepared-batch.ts'
import { duplicate, eventRow, filledIn, type Result, stored, type Write } from './write-batch.ts'

/** What the prepared path needs of a libsql (or better-sqlite3) connection. */
export interface SqliteHandle {
  prepare(sql: string): SqliteRawStatement
  readonly inTransaction: boolean
}

/** A prepared statement of {@link SqliteHandle}. */
export interface SqliteRawStatement {
  run(parameters: readonly unknown[]): { changes: number | bigint }
  get(parameters: readonly unknown[]): unknown
  all(parameters: readonly unknown[]): unknown[]
}

/** The batch writer of {@link createSqliteBatchWriter}. */
export interface SqliteBatchWriter {
  /**
   * Whether the prepared path writes this batch: creates, and callbacks that change no topic (ignored
   * or rejected), which is nearly every batch. Destroys and profile changes go through Kysely.
   */
  accepts(items: readonly Write[]): boolean
  /**
   * Commits the batch in one transaction, synchronously, and answers after the commit. Throws the
   * database's error after rolling back (SQLite rolls back by itself on a full disk).
   */
  commit(items: readonly Write[]): Committed
}

/** The largest batch group commit forms (see `group-commit.ts`). */
const MAX_ROWS = 256

/** The values of one topic in {@link insertTopics}: its place in the chunk, then ten columns. */
const TOPIC_VALUES = 11
const EVENT_VALUES = 7

/**
 * Inserts the topics of a chunk that are not stored yet, numbering them in the change feed as it goes:
 * `?1` is the last position handed out, and the new rows take the next ones in TopicId order, which is
 * also the order of their `seq`. A topic whose destroy (or whose group's disbanding) arrived first is
 * stored deleted, at the time the destroy arrived: IM promises no order.
 */
const insertTopics = (rows: number) => `insert into topics (topic_id, group_id, name, type, owner_account,
    operator_account, user_defined_data, client_ip, opt_platform, received_at, updated_at, deleted_at,
    position, created_position)
  select v.column2, v.column3, v.column4, v.column5, v.column6, v.column7, v.column8, v.column9,
    v.column10, v.column11, v.column11,
    coalesce((select tt.deleted_at from topic_tombstones tt where tt.topic_id = v.column2),
      (select gt.deleted_at from group_tombstones gt where gt.group_id = v.column3)),
    ?1 + row_number() over (order by v.column1), ?1 + row_number() over (order by v.column1)
  from (values ${placeholders(rows, TOPIC_VALUES)}) as v
  where not exists (select 1 from topics t where t.topic_id = v.column2)
  order by v.column1
  returning topic_id`

const insertEvents = (rows: number) =>
  `insert into callback_events (received_at, command, query, body, body_size, outcome, reason) values ${placeholders(rows, EVENT_VALUES)}`

const placeholders = (rows: number, columns: number) => {
  const row = `(${Array.from({ length: columns }, () => '?').join(', ')})`
  return Array.from({ length: rows }, () => row).join(', ')
}

/**
 * The sizes a batch is cut into: powers of two, largest first (27 rows are 16, 8, 2 and 1), so that
 * at most 2 × 9 multi-row statements are ever prepared, whatever sizes the batches come in.
 */
function chunks(count: number): number[] {
  const sizes: number[] = []
  for (let size = MAX_ROWS; size >= 1; size >>= 1) {
    while (count >= size) {
      sizes.push(size)
      count -= size
    }
  }
  return sizes
}

/**
 * Writes batches of callbacks to SQLite with statements prepared once per chunk size: the topics in
 * one `insert … select` that skips the stored ones, applies tombstones and numbers the new rows; a
 * second delivery that completes a reconciled topic in one prepared update; the events in one
 * multi-row insert; the change counter once. The same rows, outcomes and positions as `writeBatch`
 * with `assignPositions`, which the store contract holds both to; only the order of positions within
 * one transaction differs (filled-in topics come after the new ones). The transaction is `begin
 * immediate`: it takes the write lock first, so that the counter read at its start stays the last.
 *
 * @example
 * ```ts
 * const writer = createSqliteBatchWriter(new Libsql(path))
 * if (writer.accepts(items)) writer.commit(items) // { outcomes: ['stored', …], last: 42 }
 * ```
 */
export function createSqliteBatchWriter(db: SqliteHandle): SqliteBatchWriter {
  const prepared = new Map<string, SqliteRawStatement>()
  const statement = (key: string, sql: () => string) => {
    let found = prepared.get(key)
    if (!found) {
      found = db.prepare(sql())
      prepared.set(key, found)
    }
    return found
  }
  const begin = () => statement('begin', () => 'begin immediate')
  const commit = () => statement('commit', () => 'commit')
  const rollback = () => statement('rollback', () => 'rollback')
  const lastPosition = () => statement('last', () => 'select last from change_counter where id = 1')
  const setLastPosition = () => statement('set last', () => 'update change_counter set last = ? where id = 1')
  // A later delivery of a topic changes nothing, except on one that reconciliation inserted first: the
  // callback fills in what only it knows, and never undoes a delete.
  const fillIn = () =>
    statement(
      'fill in',
      () => `update topics set owner_account = ?, operator_account = ?, user_defined_data = ?, client_ip = ?,
        opt_platform = ?, updated_at = ?, position = ? where topic_id = ? and owner_account is null`,
    )

  /** Creates the topics (sorted by TopicId), filling `results`; returns the new last position. */
  function createTopics(creates: readonly PreparedCreate[], results: Result[], last: number): number {
    // The first delivery of each topic is inserted; a second one in the same batch (next to it, in
    // TopicId order) is a duplicate.
    const firsts = creates.filter((create, k) => k === 0 || creates[k - 1]!.row.topic_id !== create.row.topic_id)
    const inserted = new Set<string>()
    let offset = 0
    for (const size of chunks(firsts.length)) {
      const parameters: unknown[] = [last + inserted.size]
      for (let k = 0; k < size; k++) {
        const { row } = firsts[offset + k]!
        parameters.push(
          k,
          row.topic_id,
          row.group_id,
          row.name,
          row.type,
          row.owner_account,
          row.operator_account,
          row.user_defined_data,
          row.client_ip,
          row.opt_platform,
          row.received_at,
        )
      }
      for (const { topic_id } of statement(`topics ${size}`, () => insertTopics(size)).all(parameters) as Array<{
        topic_id: string
      }>) {
        inserted.add(topic_id)
      }
      offset += size
    }
    let position = last + inserted.size
    for (const { i, row } of creates) {
      if (inserted.delete(row.topic_id)) {
        results[i] = stored
        continue
      }
      const { changes } = fillIn().run([
        row.owner_account,
        row.operator_account,
        row.user_defined_data,
        row.client_ip,
        row.opt_platform,
        row.updated_at,
        position + 1,
        row.topic_id,
      ])
      if (Number(changes) > 0) position++
      results[i] = Number(changes) > 0 ? filledIn : duplicate
    }
    return position
  }

  function insertEventRows(items: readonly Write[], at: readonly string[], results: readonly Result[]): void {
    let offset = 0
    for (const size of chunks(items.length)) {
      const parameters: unknown[] = []
      for (let k = offset; k < offset + size; k++) {
        const row = eventRow(items[k]!.callback, at[k]!, results[k]!)
        parameters.push(row.received_at, row.command, row.query, row.body, row.body_size, row.outcome, row.reason)
      }
      statement(`events ${size}`, () => insertEvents(size)).run(parameters)
      offset += size
    }
  }

  return {
    accepts: acceptsPrepared,

    commit(items) {
      const { at, results, creates } = layOut(items)
      begin().run([])
      try {
        let last: number | null = null
        if (creates.length > 0) {
          const before = Number((lastPosition().get([]) as { last: number | bigint }).last)
          const after = createTopics(creates, results, before)
          if (after > before) {
            setLastPosition().run([after])
            last = after
          }
        }
        insertEventRows(items, at, results)
        commit().run([])
        return { outcomes: results.map((r): EventOutcome => r.outcome), last }
      } catch (error) {
        // SQLite has rolled back already after some errors (a full disk): a second rollback would fail
        // and hide the error that says what went wrong.
        if (db.inTransaction) rollback().run([])
        throw error
      }
    },
  }
}

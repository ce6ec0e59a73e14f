/**
 * The hot write on PostgreSQL: a batch of callbacks committed with named prepared statements that
 * take whole columns as arrays (`unnest`), so that PostgreSQL parses and plans each statement once
 * per connection, whatever the batch's size, and a batch costs five round trips: BEGIN, the topics,
 * the events, the change counter with the positions, COMMIT.
 *
 * Why a second writer beside `writeBatch` (write-batch.ts): Kysely sends each query unnamed, so
 * PostgreSQL plans it again each time, and a multi-row `values` list is a new statement for every
 * batch size (docs/benchmarks.md measures both). The rows, the outcomes and the TopicId order that
 * keeps replicas from deadlocking are write-batch.ts's, imported here; the store's tests run the same
 * batches through both and compare the tables, as for SQLite's prepared path.
 * @module
 */
import type pg from 'pg'
import type { EventOutcome } from '../contract/read-api.ts'
import { NUMBER_PENDING_ON_POSTGRES } from './change-positions.ts'
import {
  acceptsPrepared,
  type Committed,
  layOut,
  type PreparedBatchWriter,
  type PreparedCreate,
} from './prepared-batch.ts'
import { errorCode } from './store-error.ts'
import { duplicate, eventRow, filledIn, type Result, stored, type Write } from './write-batch.ts'

/** The columns a create inserts, in the order of the arrays {@link INSERT_TOPICS} takes. */
const TOPIC_COLUMNS = [
  'topic_id',
  'group_id',
  'name',
  'type',
  'owner_account',
  'operator_account',
  'user_defined_data',
  'client_ip',
  'opt_platform',
  'received_at',
] as const

/**
 * Inserts the topics not stored yet, in the order given (TopicId order), each deleted already when
 * its destroy or its group's disbanding arrived first (IM promises no order), and answers the ones
 * inserted. Their positions are left pending, for {@link NUMBER_PENDING_ON_POSTGRES}.
 */
const INSERT_TOPICS = {
  name: 'imsync_insert_topics',
  text: `insert into topics (topic_id, group_id, name, type, owner_account, operator_account, user_defined_data,
      client_ip, opt_platform, received_at, updated_at, deleted_at)
    select u.topic_id, u.group_id, u.name, u.type, u.owner_account, u.operator_account, u.user_defined_data,
      u.client_ip, u.opt_platform, u.received_at, u.received_at,
      coalesce((select tt.deleted_at from topic_tombstones tt where tt.topic_id = u.topic_id),
        (select gt.deleted_at from group_tombstones gt where gt.group_id = u.group_id))
    from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
      $9::text[], $10::timestamptz[]) with ordinality
      as u(topic_id, group_id, name, type, owner_account, operator_account, user_defined_data, client_ip,
        opt_platform, received_at, n)
    order by u.n
    on conflict (topic_id) do nothing
    returning topic_id`,
}

/**
 * A later delivery of a topic changes nothing, except on one that reconciliation inserted first: the
 * callback fills in what only it knows, and never undoes a delete. Its position goes pending again.
 */
const FILL_IN = {
  name: 'imsync_fill_in_topic',
  text: `update topics set owner_account = $1, operator_account = $2, user_defined_data = $3, client_ip = $4,
      opt_platform = $5, updated_at = $6, position = null
    where topic_id = $7 and owner_account is null`,
}

const INSERT_EVENTS = {
  name: 'imsync_insert_events',
  text: `insert into callback_events (received_at, command, query, body, body_size, outcome, reason)
    select * from unnest($1::timestamptz[], $2::text[], $3::text[], $4::bytea[], $5::integer[], $6::text[],
      $7::text[])`,
}

const NUMBER_PENDING = { name: 'imsync_number_pending', text: NUMBER_PENDING_ON_POSTGRES.text }

/**
 * `invalid_sql_statement_name`: a statement this connection prepared is gone, as when a pooler in
 * front of PostgreSQL (PgBouncer in transaction mode, before 1.21 or without
 * `max_prepared_statements`) hands each transaction another server connection.
 */
const STATEMENT_GONE = '26000'

/** What the writer needs of the pool: a connection of its own for the length of a batch. */
export interface PostgresPool {
  connect(): Promise<pg.PoolClient>
}

/**
 * Writes batches of callbacks to PostgreSQL with named prepared statements: the same rows, outcomes
 * and positions as `writeBatch` with `assignPositions`. It accepts creates, and callbacks that change
 * no topic (ignored or rejected). Each batch is one transaction on a connection of the pool; on failure
 * it rolls back and throws the database's error, with `committing: true` when COMMIT had been sent.
 * When the database loses a statement it prepared (a pooler between them), it says so through
 * `onWarning` and accepts no more batches, so that they go through Kysely's unnamed statements.
 *
 * @example
 * ```ts
 * const writer = createPostgresBatchWriter(pool)
 * if (writer.accepts(items)) await writer.commit(items) // { outcomes: ['stored', …], last: 42 }
 * ```
 */
export function createPostgresBatchWriter(
  pool: PostgresPool,
  onWarning: (message: string) => void = () => {},
): PreparedBatchWriter {
  // Set for good once the database has lost a prepared statement: every batch then goes to Kysely.
  let statementsKept = true

  /** Inserts the topics (sorted by TopicId), fills in the reconciled ones, and fills `results`. */
  async function createTopics(
    client: pg.PoolClient,
    creates: readonly PreparedCreate[],
    results: Result[],
  ): Promise<boolean> {
    const columns = TOPIC_COLUMNS.map((column) => creates.map(({ row }) => row[column] ?? null))
    const { rows } = await client.query<{ topic_id: string }>({ ...INSERT_TOPICS, values: columns })
    const inserted = new Set(rows.map((r) => r.topic_id))
    let changed = inserted.size > 0
    for (const { i, row } of creates) {
      // The first delivery of each topic is the one inserted; a second one in the batch is a duplicate.
      if (inserted.delete(row.topic_id)) {
        results[i] = stored
        continue
      }
      const { rowCount } = await client.query({
        ...FILL_IN,
        values: [
          row.owner_account,
          row.operator_account,
          row.user_defined_data,
          row.client_ip,
          row.opt_platform,
          row.updated_at,
          row.topic_id,
        ],
      })
      results[i] = (rowCount ?? 0) > 0 ? filledIn : duplicate
      changed ||= (rowCount ?? 0) > 0
    }
    return changed
  }

  async function insertEvents(
    client: pg.PoolClient,
    items: readonly Write[],
    at: readonly string[],
    results: readonly Result[],
  ): Promise<void> {
    const columns: unknown[][] = [[], [], [], [], [], [], []]
    items.forEach(({ callback }, k) => {
      const row = eventRow(callback, at[k]!, results[k]!)
      columns[0]!.push(row.received_at)
      columns[1]!.push(row.command)
      columns[2]!.push(row.query)
      columns[3]!.push(row.body)
      columns[4]!.push(row.body_size)
      columns[5]!.push(row.outcome)
      columns[6]!.push(row.reason)
    })
    await client.query({ ...INSERT_EVENTS, values: columns })
  }

  return {
    accepts: (items) => statementsKept && acceptsPrepared(items),

    async commit(items) {
      const { at, results, creates } = layOut(items)
      const client = await pool.connect()
      let committing = false
      try {
        await client.query('begin')
        const changed = creates.length > 0 && (await createTopics(client, creates, results))
        await insertEvents(client, items, at, results)
        let last: number | null = null
        let lock: Committed['lock']
        if (changed) {
          const requested = performance.now()
          const { rows } = await client.query<{ last: string }>({
            ...NUMBER_PENDING,
            values: NUMBER_PENDING_ON_POSTGRES.values,
          })
          const granted = performance.now()
          last = rows.length === 0 ? null : Number(rows[0]!.last)
          lock = { requested, granted }
        }
        committing = true
        await client.query('commit')
        client.release()
        return {
          outcomes: results.map((r): EventOutcome => r.outcome),
          last,
          ...(lock ? { lock } : {}),
        }
      } catch (error) {
        // A connection that failed is not given back to the pool (release with the error ends it); one
        // that only refused the data is rolled back and given back.
        await client.query('rollback').then(
          () => client.release(),
          (rollbackError: unknown) => client.release(rollbackError as Error),
        )
        if (committing && error !== null && typeof error === 'object') Object.assign(error, { committing })
        if (statementsKept && errorCode(error) === STATEMENT_GONE) {
          statementsKept = false
          onWarning(
            'a prepared statement was lost between two transactions (a pooler such as PgBouncer in transaction mode without max_prepared_statements?): callbacks are written without prepared statements from now on',
          )
        }
        throw error
      }
    },
  }
}

/**
 * The SQLite writer thread: it owns a connection of its own to the database file and commits the
 * batches of callbacks that the store sends it, so that SQLite's work (statements, and the fsync of
 * every commit with `synchronous = FULL`) never runs on the thread that answers requests. Each
 * message is one batch in one transaction; the answer goes back only after its commit.
 * @module
 */
import { parentPort, workerData } from 'node:worker_threads'
import { Kysely, type SqliteDatabase, SqliteDialect } from 'kysely'
import Libsql from 'libsql'
import { assignPositions } from './change-positions.ts'
import { CONFLICT_BUDGET_MS, isSqliteConflict } from './conflicts.ts'
import type { Database } from './schema.ts'
import { createSqliteBatchWriter, type SqliteHandle } from './sqlite-batch.ts'
import type { WriterReply, WriterRequest } from './sqlite-writer.ts'
import { withStatementCache } from './statement-cache.ts'
import { writeBatch } from './write-batch.ts'

const { path } = workerData as { path: string }
const database = new Libsql(path)
database.pragma('journal_mode = WAL')
database.pragma('synchronous = FULL')
// Waiting for a lock held by another connection blocks only this thread: let SQLite wait for it,
// as long as the store would retry a conflict on the main thread.
database.pragma(`busy_timeout = ${CONFLICT_BUDGET_MS}`)
const db = new Kysely<Database>({
  dialect: new SqliteDialect({ database: withStatementCache(database as unknown as SqliteDatabase) }),
})
// Creates, and callbacks that change no topic, with prepared statements; the rarer batches with Kysely.
const plain = createSqliteBatchWriter(database as unknown as SqliteHandle)

async function commit({ id, items }: Extract<WriterRequest, { kind: 'write' }>): Promise<WriterReply> {
  const started = performance.now()
  for (let retries = 0; ; retries++) {
    try {
      if (plain.accepts(items)) return { id, ...plain.commit(items), retries }
      let last: number | null = null
      const outcomes = await db.transaction().execute(async (trx) => {
        const result = await writeBatch(trx, items)
        last = await assignPositions(trx, 'sqlite')
        return result
      })
      return { id, outcomes, last, retries }
    } catch (error) {
      // A snapshot that another connection's commit made stale fails at once, whatever the busy timeout.
      if (isSqliteConflict(error) && performance.now() - started < CONFLICT_BUDGET_MS) continue
      const { name, message, code } = error as { name?: unknown; message?: unknown; code?: unknown }
      return {
        id,
        error: {
          name: String(name ?? 'Error'),
          message: String(message ?? error),
          code: typeof code === 'string' ? code : undefined,
        },
        retries,
      }
    }
  }
}

let queue: Promise<void> = Promise.resolve()

parentPort!.on('message', (request: WriterRequest) => {
  if (request.kind === 'close') {
    // The store stops the thread once the connection is closed (and the WAL checkpointed).
    void db.destroy().then(() => parentPort!.postMessage({ closed: true } satisfies WriterReply))
    return
  }
  // One batch at a time, in the order sent: a Kysely transaction awaits between its statements, and the
  // prepared path must not run inside it.
  queue = queue.then(() => commit(request)).then((reply) => parentPort!.postMessage(reply))
})

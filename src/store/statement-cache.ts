import type { SqliteDatabase, SqliteStatement } from 'kysely'

/**
 * Wraps a SQLite handle so that each distinct SQL text is prepared once: Kysely's SQLite driver asks
 * for a new statement on every query, and preparing costs more than running a small insert. The cache
 * keeps the `max` most recently used statements. Safe because the driver runs one statement at a time.
 * Transactions begin IMMEDIATE: with a deferred BEGIN, a transaction that read first and then wrote
 * failed with `SQLITE_BUSY_SNAPSHOT` whenever another connection committed in between, and its retries
 * kept failing the same way until they ran out.
 *
 * @example
 * ```ts
 * new SqliteDialect({ database: withStatementCache(new Libsql(path)) })
 * ```
 */
export function withStatementCache(
  db: SqliteDatabase & { readonly inTransaction?: boolean },
  max = 512,
): SqliteDatabase {
  const cache = new Map<string, SqliteStatement>()
  return {
    close: () => db.close(),
    prepare(given) {
      if (given === 'rollback') return rollbackIfOpen(db, db.prepare(given))
      // Every transaction of the store writes: it takes the write lock when it begins, so that another
      // connection's commit between its first read and its first write cannot fail it with
      // SQLITE_BUSY_SNAPSHOT (replay, reconciliation and the CLI share the file with the service).
      const sql = given === 'begin' ? 'begin immediate' : given
      let statement = cache.get(sql)
      if (statement) {
        // Re-insert to mark it most recently used.
        cache.delete(sql)
      } else {
        statement = db.prepare(sql)
        if (cache.size >= max) cache.delete(cache.keys().next().value!)
      }
      cache.set(sql, statement)
      return statement
    },
  }
}

/**
 * SQLite rolls a transaction back by itself on some errors (`SQLITE_FULL`, `SQLITE_IOERR`): Kysely's
 * `rollback` then fails with "cannot rollback - no transaction is active", and that error would
 * replace the one that says what went wrong. The rollback is skipped when nothing is left to roll back.
 */
function rollbackIfOpen(db: { readonly inTransaction?: boolean }, statement: SqliteStatement): SqliteStatement {
  return {
    reader: false,
    all: (parameters) => statement.all(parameters),
    iterate: (parameters) => statement.iterate(parameters),
    run: (parameters) => (db.inTransaction === false ? { changes: 0, lastInsertRowid: 0 } : statement.run(parameters)),
  }
}

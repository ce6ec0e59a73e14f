import type { SqliteDatabase, SqliteStatement } from 'kysely'

/**
 * Wraps a SQLite handle so that each distinct SQL text is prepared once: Kysely's SQLite driver asks
 * for a new statement on every query, and preparing costs more than running a small insert. The cache
 * keeps the `max` most recently used statements. Safe because the driver runs one statement at a time.
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
    prepare(sql) {
      if (sql === 'rollback') return rollbackIfOpen(db, db.prepare(sql))
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

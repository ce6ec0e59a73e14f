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
export function withStatementCache(db: SqliteDatabase, max = 512): SqliteDatabase {
  const cache = new Map<string, SqliteStatement>()
  return {
    close: () => db.close(),
    prepare(sql) {
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

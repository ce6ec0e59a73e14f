import { closeSync, mkdirSync, openSync } from 'node:fs'
import { dirname } from 'node:path'
import { Kysely, SqliteDialect, type SqliteDatabase } from 'kysely'
import Libsql from 'libsql'
import { createKyselyStore } from './kysely-store.ts'
import { withStatementCache } from './statement-cache.ts'
import { migrateToLatest, type OpenOptions } from './migrations.ts'
import type { Database } from './schema.ts'
import type { Store } from './types.ts'

const DATA_ERRORS = /^SQLITE_(CONSTRAINT|MISMATCH|TOOBIG|RANGE)/

/**
 * Opens (creating it if needed) the embedded SQLite database at `path` through libsql, which loads on
 * Node and on Deno, and brings its schema up to date. `':memory:'` opens a private in-memory database.
 * A new file is created readable by its owner only; the journal is a WAL with `synchronous = FULL`, so
 * a committed write survives a crash of the process or of the machine.
 *
 * @example
 * ```ts
 * const store = await openSqliteStore('./data/callbacks.db')
 * ```
 */
export async function openSqliteStore(path: string, { onMigrated, observer }: OpenOptions = {}): Promise<Store> {
  if (path !== ':memory:') {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 })
    // Created here, before SQLite sees it, so that it is 0600 whatever the umask; SQLite gives its
    // -wal and -shm files the same mode as the database.
    closeSync(openSync(path, 'a', 0o600))
  }
  const database = new Libsql(path)
  database.pragma('journal_mode = WAL')
  database.pragma('synchronous = FULL')
  database.pragma('busy_timeout = 5000')
  const db = new Kysely<Database>({
    dialect: new SqliteDialect({ database: withStatementCache(database as unknown as SqliteDatabase) }),
  })
  const applied = await migrateToLatest(db, 'sqlite')
  onMigrated?.(applied)
  return createKyselyStore({
    db,
    kind: 'sqlite',
    observer,
    isDataError: (error) => DATA_ERRORS.test(String((error as { code?: unknown })?.code ?? '')),
  })
}

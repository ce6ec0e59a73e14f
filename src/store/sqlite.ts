import { chmodSync, closeSync, mkdirSync, openSync, statSync } from 'node:fs'
import { dirname } from 'node:path'
import { Kysely, type SqliteDatabase, SqliteDialect } from 'kysely'
import Libsql from 'libsql'
import { isSqliteConflict } from './conflicts.ts'
import { createKyselyStore } from './kysely-store.ts'
import { migrateToLatest, type OpenOptions } from './migrations.ts'
import type { PreparedBatchWriter } from './prepared-batch.ts'
import type { Database } from './schema.ts'
import { createSqliteBatchWriter, type SqliteBatchWriter, type SqliteHandle } from './sqlite-batch.ts'
import { withStatementCache } from './statement-cache.ts'
import type { Store } from './store.ts'
import { errorCode } from './store-error.ts'

const DATA_ERRORS = /^SQLITE_(CONSTRAINT|MISMATCH|TOOBIG|RANGE)/

/** The longest libsql may block the event loop waiting for another connection's lock. */
const BUSY_TIMEOUT_MS = 10

/**
 * Makes an existing database file, and its -wal and -shm files, readable by their owner only: a file
 * made by an older version or by hand may be 0644. Says so through `onWarning` when it cannot.
 */
function ownerOnly(path: string, onWarning: ((message: string) => void) | undefined): void {
  for (const file of [path, `${path}-wal`, `${path}-shm`]) {
    try {
      if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600)
    } catch (error) {
      const code = (error as { code?: string }).code
      if (code !== 'ENOENT')
        onWarning?.(`${file} is readable by others and could not be made owner-only (${code ?? String(error)})`)
    }
  }
}

/**
 * Warns when the database's folder lets others in. The files themselves are owner-only, but others
 * could see their names, and replace them if they can write there. The folder is not changed: it may
 * hold more than this service's files (the service creates its own folders 0700).
 */
function openFolderWarning(folder: string, onWarning: ((message: string) => void) | undefined): void {
  try {
    const mode = statSync(folder).mode & 0o777
    if ((mode & 0o077) !== 0) {
      onWarning?.(
        `${folder} is open to others (mode ${mode.toString(8)}): the database files are owner-only, but others can see them${(mode & 0o022) !== 0 ? ' and may replace them' : ''}; make the folder 0700`,
      )
    }
  } catch {}
}

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
export async function openSqliteStore(
  path: string,
  { onMigrated, observer, onWarning }: OpenOptions = {},
): Promise<Store> {
  if (path !== ':memory:') {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 })
    // Created here, before SQLite sees it, so that it is 0600 whatever the umask; SQLite gives its
    // -wal and -shm files the same mode as the database.
    closeSync(openSync(path, 'a', 0o600))
    ownerOnly(path, onWarning)
    openFolderWarning(dirname(path), onWarning)
  }
  const database = new Libsql(path)
  database.pragma('journal_mode = WAL')
  database.pragma('synchronous = FULL')
  // libsql waits for a lock held by another connection synchronously, blocking the event loop: wait
  // at most a few milliseconds here, and let the store retry the transaction with an asynchronous
  // pause (isConflict below), so that /healthz and the callback deadline keep working meanwhile.
  database.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`)
  const db = new Kysely<Database>({
    dialect: new SqliteDialect({ database: withStatementCache(database as unknown as SqliteDatabase) }),
  })
  const applied = await migrateToLatest(db, 'sqlite')
  onMigrated?.(applied)
  return createKyselyStore({
    db,
    kind: 'sqlite',
    observer,
    isDataError: (error) => DATA_ERRORS.test(errorCode(error)),
    isConflict: isSqliteConflict,
    plainWrites: onKyselysConnection(db, createSqliteBatchWriter(database as unknown as SqliteHandle)),
  })
}

/**
 * The prepared path runs synchronously, on the connection Kysely would use: it takes the connection
 * first, so that it never runs inside another transaction (a reconciliation between two statements).
 */
function onKyselysConnection(db: Kysely<Database>, writer: SqliteBatchWriter): PreparedBatchWriter {
  return {
    accepts: (items) => writer.accepts(items),
    commit: (items) => db.connection().execute(async () => writer.commit(items)),
  }
}

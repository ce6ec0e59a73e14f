import { Kysely, PostgresDialect } from 'kysely'
import pg from 'pg'
import { createKyselyStore } from './kysely-store.ts'
import { migrateToLatest, type OpenOptions } from './migrations.ts'
import type { Database } from './schema.ts'
import type { Store } from './types.ts'

/**
 * Options of {@link openPostgresStore}.
 *
 * @example
 * ```ts
 * await openPostgresStore(url, { maxConnections: 20, onPoolError: (e) => log.warn(e.message) })
 * ```
 */
export interface PostgresStoreOptions extends OpenOptions {
  /** The most connections this replica holds. */
  maxConnections?: number
  /** Called when an idle connection breaks (the pool replaces it by itself). */
  onPoolError?(error: Error): void
}

// SQLSTATE classes 22 (data exception) and 23 (integrity constraint violation) are about one write's
// data; anything else (connection, shutdown, resources) is about the database.
const DATA_ERRORS = /^2[23]/

/**
 * Connects to PostgreSQL through a `pg` pool and brings the schema up to date. Several replicas may
 * share one database: uniqueness of topics is enforced by the database, and migrations take a lock.
 *
 * @example
 * ```ts
 * const store = await openPostgresStore('postgres://app@db.internal:5432/im')
 * ```
 */
export async function openPostgresStore(
  url: string,
  { maxConnections = 10, onPoolError = () => {}, onMigrated, observer }: PostgresStoreOptions = {},
): Promise<Store> {
  const pool = new pg.Pool({
    connectionString: url,
    max: maxConnections,
    // Fail fast while the database is down, so callbacks get a 503 well within IM's 2 s.
    connectionTimeoutMillis: 1000,
    idleTimeoutMillis: 30_000,
    statement_timeout: 5000,
  })
  // Without a listener, a connection that breaks while idle would crash the process.
  pool.on('error', onPoolError)
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) })
  try {
    const applied = await migrateToLatest(db, 'postgres')
    onMigrated?.(applied)
  } catch (error) {
    await db.destroy()
    throw error
  }
  return createKyselyStore({
    db,
    kind: 'postgres',
    observer,
    isDataError: (error) => DATA_ERRORS.test(String((error as { code?: unknown })?.code ?? '')),
  })
}

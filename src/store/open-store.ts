import { describeDatabaseUrl } from './database-url.ts'
import type { OpenOptions } from './migrations.ts'
import { postgresOpenFailure, sqliteOpenFailure } from './open-failure.ts'
import { openPostgresStore, type PostgresStoreOptions } from './postgres.ts'
import { openSqliteStore } from './sqlite.ts'
import type { Store } from './store.ts'

/**
 * Opens the store a `DATABASE_URL` names, migrated to the newest schema. A failure a person can fix
 * (server down, database or role missing, data folder not writable) throws a `StoreOpenError` whose
 * message says what to check.
 *
 * @example
 * ```ts
 * const store = await openStore(process.env.DATABASE_URL)
 * ```
 */
export async function openStore(
  url: string | undefined,
  options: PostgresStoreOptions & OpenOptions = {},
): Promise<Store> {
  const target = describeDatabaseUrl(url)
  if (target.kind === 'postgres') {
    return openPostgresStore(target.url, options).catch((error: unknown) => {
      throw postgresOpenFailure(error, target.url)
    })
  }
  try {
    return await openSqliteStore(target.path, options)
  } catch (error) {
    throw sqliteOpenFailure(error, target.path)
  }
}

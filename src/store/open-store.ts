import { describeDatabaseUrl } from './database-url.ts'
import type { OpenOptions } from './migrations.ts'
import { openPostgresStore, type PostgresStoreOptions } from './postgres.ts'
import { openSqliteStore } from './sqlite.ts'
import type { Store } from './store.ts'

/**
 * Opens the store a `DATABASE_URL` names, migrated to the newest schema.
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
  return target.kind === 'postgres' ? openPostgresStore(target.url, options) : openSqliteStore(target.path, options)
}

import { openPostgresStore, type PostgresStoreOptions } from './postgres.ts'
import type { OpenOptions } from './migrations.ts'
import { openSqliteStore } from './sqlite.ts'
import type { Store } from './types.ts'

/** Where the embedded database lives when `DATABASE_URL` is not set. */
export const DEFAULT_SQLITE_PATH = './data/callbacks.db'

/**
 * Which database a `DATABASE_URL` names: `postgres://` and `postgresql://` URLs select PostgreSQL;
 * unset, a `file:` URL or a plain path select SQLite.
 *
 * @example
 * ```ts
 * describeDatabaseUrl('file:./data/x.db') // { kind: 'sqlite', path: './data/x.db' }
 * ```
 */
export function describeDatabaseUrl(
  url: string | undefined,
): { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string } {
  if (url === undefined || url === '') return { kind: 'sqlite', path: DEFAULT_SQLITE_PATH }
  if (/^postgres(ql)?:\/\//i.test(url)) return { kind: 'postgres', url }
  if (/^file:/i.test(url)) {
    // file:///abs/path, file:/abs/path and file:relative/path all name a path.
    const path = url.replace(/^file:(\/\/(?=\/))?/i, '')
    return { kind: 'sqlite', path: decodeURIComponent(path) }
  }
  return { kind: 'sqlite', path: url }
}

/**
 * Opens the store a `DATABASE_URL` names, migrated to the newest schema.
 *
 * @example
 * ```ts
 * const store = await openStore(process.env.DATABASE_URL)
 * ```
 */
export async function openStore(url: string | undefined, options: PostgresStoreOptions & OpenOptions = {}): Promise<Store> {
  const target = describeDatabaseUrl(url)
  return target.kind === 'postgres' ? openPostgresStore(target.url, options) : openSqliteStore(target.path, options)
}

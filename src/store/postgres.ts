import { Kysely, PostgresDialect } from 'kysely'
import pg from 'pg'
import { CHANGES_CHANNEL } from './change-positions.ts'
import { createKyselyStore } from './kysely-store.ts'
import { migrateToLatest, type OpenOptions } from './migrations.ts'
import { createPostgresBatchWriter } from './postgres-batch.ts'
import type { Database } from './schema.ts'
import type { Store } from './store.ts'
import { errorCode } from './store-error.ts'
import type { ChangeListener } from './types.ts'

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

/**
 * Listens on {@link CHANGES_CHANNEL} over a connection of its own (LISTEN needs one that stays
 * open, outside the pool), and tells `listener` each position announced. When the connection breaks
 * it reconnects with backoff, and tells `listener` once it is back, without a position, since
 * announcements may have been missed meanwhile.
 */
function listenForChanges(url: string, onError: (error: Error) => void) {
  return (listener: ChangeListener): (() => void) => {
    let stopped = false
    let client: pg.Client | undefined
    let retry: ReturnType<typeof setTimeout> | undefined
    let delayMs = 250

    const reconnect = (broken: pg.Client) => {
      if (stopped || client !== broken) return
      client = undefined
      broken.removeAllListeners('notification')
      void broken.end().catch(() => {})
      retry = setTimeout(connect, delayMs)
      delayMs = Math.min(delayMs * 2, 10_000)
    }

    const connect = async () => {
      if (stopped) return
      const next = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 })
      client = next
      // A connection of our own: without an error listener, its loss would crash the process.
      next.on('error', (error) => {
        onError(error)
        reconnect(next)
      })
      next.on('end', () => reconnect(next))
      next.on('notification', ({ channel, payload }) => {
        const position = Number(payload)
        if (channel === CHANGES_CHANNEL && Number.isSafeInteger(position)) listener(position)
      })
      try {
        await next.connect()
        await next.query(`listen ${CHANGES_CHANNEL}`)
        delayMs = 250
        listener()
      } catch (error) {
        onError(error as Error)
        reconnect(next)
      }
    }

    void connect()
    return () => {
      stopped = true
      clearTimeout(retry)
      const last = client
      client = undefined
      void last?.end().catch(() => {})
    }
  }
}

// SQLSTATE classes 22 (data exception) and 23 (integrity constraint violation) are about one write's
// data; anything else (connection, shutdown, resources) is about the database.
// Class 22 (data exception: U+0000 in text), 23 (integrity), 54 (a program limit: an index row too
// large): the data of one write is at fault, so its batch is retried item by item. Validation refuses
// such data before it gets here; this is the backstop.
const DATA_ERRORS = /^(2[23]|54)/
// A deadlock or a serialization failure: another transaction got in the way; run it again.
const CONFLICTS = /^40(001|P01)$/
/**
 * The backend was terminated or crashed, or the connection broke: 57P01, 57P02, 08003, 08006, 25P03 (the
 * session sat idle in its transaction too long, and its transaction was rolled back), or a socket error.
 */
const CONNECTION_LOST_CODES = /^(57P0[12]|0800[36]|25P03|ECONNRESET|EPIPE)$/
/** What pg says of a query on a connection that has already closed. */
const CONNECTION_LOST_MESSAGES = /^Connection terminated|connection error and is not queryable/

/** Whether an error says that the connection under a query was lost. */
export function isPostgresConnectionLost(error: unknown): boolean {
  return (
    CONNECTION_LOST_CODES.test(errorCode(error)) ||
    CONNECTION_LOST_MESSAGES.test(String((error as { message?: unknown } | null | undefined)?.message ?? ''))
  )
}

/** How long a session of the service may sit idle inside a transaction before PostgreSQL ends it. */
export const IDLE_IN_TRANSACTION_MS = 2000

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
  { maxConnections = 10, onPoolError = () => {}, onMigrated, observer, onWarning }: PostgresStoreOptions = {},
): Promise<Store> {
  const pool = new pg.Pool({
    connectionString: url,
    max: maxConnections,
    // Fail fast while the database is down, so callbacks get a 503 well within IM's 2 s.
    connectionTimeoutMillis: 1000,
    idleTimeoutMillis: 30_000,
    statement_timeout: 5000,
    // A replica that stops inside a transaction (paused, frozen, cut off from the network) would keep
    // its locks, the change counter's row among them, and so stop every other replica's topic writes
    // for as long as it stays away. The service never waits inside a transaction: PostgreSQL ends a
    // session of its that sits idle in one for 2 s, which rolls it back and frees its locks. The paused
    // replica's transaction then fails, and runs again on another connection when it resumes.
    idle_in_transaction_session_timeout: IDLE_IN_TRANSACTION_MS,
  })
  // Without a listener, a connection that breaks while idle would crash the process.
  pool.on('error', onPoolError)
  // pg-pool listens for errors only on idle connections: one that breaks while checked out (the
  // server restarted, a backend terminated) would emit 'error' with nobody listening, and crash the
  // process. Its query fails anyway (the callback gets 503 and the error is logged there), and the pool
  // drops the broken connection when it is released; this listener only keeps the process alive.
  pool.on('connect', (client) => {
    client.on('error', () => {})
  })
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
    watchOthers: listenForChanges(url, onPoolError),
    isDataError: (error) => DATA_ERRORS.test(errorCode(error)),
    isConflict: (error) => CONFLICTS.test(errorCode(error)),
    isConnectionLost: isPostgresConnectionLost,
    plainWrites: createPostgresBatchWriter(pool, onWarning),
  })
}

/**
 * Durable storage of callbacks: SQLite (embedded default) and PostgreSQL behind one {@link Store}.
 * @module
 */
export type { ChangeListener, ChangePage, Effect, MirrorChange, NewTopic, Page, ReceivedCallback, Store, StoreKind, StoredEvent, StoreObserver, TopicProfile, PruneEventsOptions, PruneEventsStep } from './types.ts'
export { StoreError, WritesFailingError } from './store-error.ts'
export { DatabaseUrlError, DEFAULT_SQLITE_PATH, describeDatabaseUrl } from './database-url.ts'
export { openStore } from './open-store.ts'
export { openSqliteStore } from './sqlite.ts'
export { openPostgresStore, type PostgresStoreOptions } from './postgres.ts'

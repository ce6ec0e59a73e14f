/**
 * Durable storage of callbacks: SQLite (embedded default) and PostgreSQL behind one {@link Store}.
 * @module
 */

export { DatabaseUrlError, DEFAULT_SQLITE_PATH, describeDatabaseUrl } from './database-url.ts'
export { StoreOpenError } from './open-failure.ts'
export { openStore } from './open-store.ts'
export { openPostgresStore, type PostgresStoreOptions } from './postgres.ts'
export { openSqliteStore } from './sqlite.ts'
export type {
  ApiKeys,
  AttemptResult,
  CallbackWrites,
  DeliveryAttempt,
  Feed,
  Health,
  Leases,
  MirrorWrites,
  Reads,
  Retention,
  Store,
  StoredApiKey,
  StoredSubscription,
  SubscriptionPatch,
  Subscriptions,
} from './store.ts'
export { StoreError, WritesFailingError } from './store-error.ts'
export type {
  ChangeListener,
  ChangePage,
  Effect,
  MirrorChange,
  NewTopic,
  Page,
  PruneEventsOptions,
  PruneEventsStep,
  ReceivedCallback,
  StoredEvent,
  StoreKind,
  StoreObserver,
  TopicProfile,
} from './types.ts'

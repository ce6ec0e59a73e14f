import { Migrator, sql, type Kysely, type Migration, type MigrationProvider } from 'kysely'
import type { StoreKind } from './types.ts'

/** Options every store opener takes. */
export interface OpenOptions {
  /** Told the names of the migrations that opening applied (none when the schema was current). */
  onMigrated?(names: string[]): void
  /** Told how the store's transactions go. */
  observer?: import('./types.ts').StoreObserver | undefined
}

/** Column types that differ between the two databases; everything else is shared. */
function typesFor(kind: StoreKind) {
  return kind === 'postgres'
    ? { time: 'timestamptz', bytes: 'bytea', id: 'bigint' } as const
    : { time: 'text', bytes: 'blob', id: 'integer' } as const
}

function migrations(kind: StoreKind): Record<string, Migration> {
  const t = typesFor(kind)
  const identity = (c: any) =>
    kind === 'postgres' ? c.primaryKey().generatedAlwaysAsIdentity() : c.primaryKey().autoIncrement()
  return {
    '0001_topics_and_events': {
      async up(db: Kysely<any>) {
        await db.schema
          .createTable('topics')
          .addColumn('seq', t.id, identity)
          .addColumn('topic_id', 'text', (c) => c.notNull().unique())
          .addColumn('group_id', 'text', (c) => c.notNull())
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('type', 'text', (c) => c.notNull())
          .addColumn('owner_account', 'text', (c) => c.notNull())
          .addColumn('operator_account', 'text', (c) => c.notNull())
          .addColumn('user_defined_data', 'text')
          .addColumn('client_ip', 'text')
          .addColumn('opt_platform', 'text')
          .addColumn('received_at', t.time, (c) => c.notNull())
          .addColumn('deleted_at', t.time)
          .execute()
        await db.schema.createIndex('topics_group_id_seq').on('topics').columns(['group_id', 'seq']).execute()
        await db.schema
          .createTable('callback_events')
          .addColumn('id', t.id, identity)
          .addColumn('received_at', t.time, (c) => c.notNull())
          .addColumn('command', 'text', (c) => c.notNull())
          .addColumn('query', 'text', (c) => c.notNull())
          .addColumn('body', t.bytes, (c) => c.notNull())
          .addColumn('outcome', 'text', (c) =>
            c.notNull().check(sql`outcome in ('stored', 'duplicate', 'ignored', 'rejected')`),
          )
          .addColumn('reason', 'text')
          .addColumn('replayed_at', t.time)
          .execute()
        await db.schema.createIndex('callback_events_command_id').on('callback_events').columns(['command', 'id']).execute()
        await db.schema.createIndex('callback_events_outcome_id').on('callback_events').columns(['outcome', 'id']).execute()
      },
    },
  }
}

/**
 * Brings the database to the newest schema. Safe to run from several replicas at once: the migrator
 * takes a lock in the database.
 *
 * @example
 * ```ts
 * const applied = await migrateToLatest(db, 'sqlite') // ['0001_topics_and_events'] on a new database
 * ```
 */
export async function migrateToLatest(db: Kysely<any>, kind: StoreKind): Promise<string[]> {
  const provider: MigrationProvider = { getMigrations: async () => migrations(kind) }
  const { error, results = [] } = await new Migrator({ db, provider }).migrateToLatest()
  if (error) throw error
  return results.filter((r) => r.status === 'Success').map((r) => r.migrationName)
}

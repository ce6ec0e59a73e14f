import { type Kysely, type Migration, type MigrationProvider, Migrator, sql } from 'kysely'
import type { StoreKind } from './types.ts'

/** Options every store opener takes. */
export interface OpenOptions {
  /** Told the names of the migrations that opening applied (none when the schema was current). */
  onMigrated?(names: string[]): void
  /** Told how the store's transactions go. */
  observer?: import('./types.ts').StoreObserver | undefined
  /**
   * Told of something about the database that an operator should fix or know (SQLite: a file others
   * can read; PostgreSQL: a connection that does not keep prepared statements).
   */
  onWarning?(message: string): void
}

/** Column types that differ between the two databases; everything else is shared. */
function typesFor(kind: StoreKind) {
  return kind === 'postgres'
    ? ({ time: 'timestamptz', bytes: 'bytea', id: 'bigint' } as const)
    : ({ time: 'text', bytes: 'blob', id: 'integer' } as const)
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
        await db.schema
          .createIndex('callback_events_command_id')
          .on('callback_events')
          .columns(['command', 'id'])
          .execute()
        await db.schema
          .createIndex('callback_events_outcome_id')
          .on('callback_events')
          .columns(['outcome', 'id'])
          .execute()
      },
    },
    // The whole topic lifecycle and reconciliation with IM's REST API: the profile fields IM's topic
    // profile has, UpdatedAt, owner and operator unknown (null) for a topic first learnt from the REST
    // API, tombstones for destroys that arrive before their create, the source of each event, and the
    // lease that lets one replica reconcile at a time.
    '0002_topic_lifecycle': {
      async up(db: Kysely<any>) {
        if (kind === 'postgres') {
          await sql`alter table topics alter column owner_account drop not null, alter column operator_account drop not null`.execute(
            db,
          )
          for (const column of ['introduction', 'notification', 'face_url', 'custom_string']) {
            await db.schema.alterTable('topics').addColumn(column, 'text').execute()
          }
          await db.schema.alterTable('topics').addColumn('updated_at', t.time).execute()
          await sql`update topics set updated_at = received_at`.execute(db)
          await sql`alter table topics alter column updated_at set not null`.execute(db)
        } else {
          // SQLite cannot drop NOT NULL in place: the table is rebuilt, keeping every row and its seq.
          await sql`create table topics_new (
            seq integer primary key autoincrement,
            topic_id text not null unique,
            group_id text not null,
            name text not null,
            type text not null,
            owner_account text,
            operator_account text,
            user_defined_data text,
            client_ip text,
            opt_platform text,
            received_at text not null,
            deleted_at text,
            introduction text,
            notification text,
            face_url text,
            custom_string text,
            updated_at text not null
          )`.execute(db)
          await sql`insert into topics_new (seq, topic_id, group_id, name, type, owner_account, operator_account,
            user_defined_data, client_ip, opt_platform, received_at, deleted_at, updated_at)
            select seq, topic_id, group_id, name, type, owner_account, operator_account, user_defined_data,
            client_ip, opt_platform, received_at, deleted_at, received_at from topics`.execute(db)
          await sql`drop table topics`.execute(db)
          await sql`alter table topics_new rename to topics`.execute(db)
          await db.schema.createIndex('topics_group_id_seq').on('topics').columns(['group_id', 'seq']).execute()
        }
        await db.schema
          .createTable('topic_tombstones')
          .addColumn('topic_id', 'text', (c) => c.primaryKey())
          .addColumn('group_id', 'text', (c) => c.notNull())
          .addColumn('deleted_at', t.time, (c) => c.notNull())
          .execute()
        await db.schema
          .createTable('group_tombstones')
          .addColumn('group_id', 'text', (c) => c.primaryKey())
          .addColumn('deleted_at', t.time, (c) => c.notNull())
          .execute()
        await db.schema
          .alterTable('callback_events')
          .addColumn('source', 'text', (c) =>
            c.notNull().defaultTo('callback').check(sql`source in ('callback', 'reconcile')`),
          )
          .execute()
        await db.schema
          .createTable('leases')
          .addColumn('name', 'text', (c) => c.primaryKey())
          .addColumn('holder', 'text', (c) => c.notNull())
          .addColumn('expires_at_ms', t.id, (c) => c.notNull())
          .execute()
      },
    },
    // The change feed: every change to a topic takes the next position, handed out at the end of its
    // transaction under the lock of change_counter's one row, so that positions become visible in
    // order (see change-positions.ts). A topic keeps only its latest position, and the position at
    // which it was created. Existing topics are numbered in insertion order.
    '0003_change_feed': {
      async up(db: Kysely<any>) {
        await db.schema.alterTable('topics').addColumn('position', t.id).execute()
        await db.schema.alterTable('topics').addColumn('created_position', t.id).execute()
        await sql`update topics set position = seq, created_position = seq`.execute(db)
        await db.schema.createIndex('topics_position').on('topics').column('position').unique().execute()
        await db.schema
          .createTable('change_counter')
          .addColumn('id', 'integer', (c) => c.primaryKey().check(sql`id = 1`))
          .addColumn('last', t.id, (c) => c.notNull())
          .execute()
        await sql`insert into change_counter (id, last) select 1, coalesce(max(seq), 0) from topics`.execute(db)
      },
    },
    // Event log retention and privacy: an event may keep its metadata without its body (EVENT_BODIES),
    // and then says how large the body was.
    '0004_event_body_size': {
      async up(db: Kysely<any>) {
        await db.schema.alterTable('callback_events').addColumn('body_size', 'integer').execute()
      },
    },
    // Keys of the read API, one per team, with scopes; the secret is kept only as a hash.
    '0005_api_keys': {
      async up(db: Kysely<any>) {
        await db.schema
          .createTable('api_keys')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('scopes', 'text', (c) => c.notNull())
          .addColumn('secret_hash', 'text', (c) => c.notNull())
          .addColumn('created_at', t.time, (c) => c.notNull())
          .addColumn('last_used_at', t.time)
          .addColumn('revoked_at', t.time)
          .execute()
      },
    },
    // Webhook subscriptions: followers of the change feed that the service keeps, each with its cursor,
    // its retry state, and its recent delivery attempts.
    '0006_webhook_subscriptions': {
      async up(db: Kysely<any>) {
        await db.schema
          .createTable('subscriptions')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('owner_key_id', 'text', (c) => c.notNull())
          .addColumn('url', 'text', (c) => c.notNull())
          .addColumn('group_ids', 'text')
          .addColumn('kinds', 'text')
          .addColumn('secret', 'text', (c) => c.notNull())
          .addColumn('previous_secret', 'text')
          .addColumn('previous_secret_until_ms', t.id)
          .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('active', 'disabled')`))
          .addColumn('disabled_reason', 'text')
          .addColumn('position', t.id, (c) => c.notNull())
          .addColumn('failures', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('next_attempt_at_ms', t.id)
          .addColumn('last_error', 'text')
          .addColumn('created_at', t.time, (c) => c.notNull())
          .execute()
        await db.schema.createIndex('subscriptions_owner').on('subscriptions').columns(['owner_key_id', 'id']).execute()
        await db.schema
          .createTable('webhook_attempts')
          .addColumn('id', t.id, identity)
          .addColumn('subscription_id', 'text', (c) => c.notNull())
          .addColumn('position', t.id, (c) => c.notNull())
          .addColumn('webhook_id', 'text', (c) => c.notNull())
          .addColumn('at', t.time, (c) => c.notNull())
          .addColumn('status_code', 'integer')
          .addColumn('error', 'text')
          .addColumn('duration_ms', 'integer', (c) => c.notNull())
          .execute()
        await db.schema
          .createIndex('webhook_attempts_subscription_id')
          .on('webhook_attempts')
          .columns(['subscription_id', 'id'])
          .execute()
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
 * const applied = await migrateToLatest(db, 'sqlite') // ['0001_topics_and_events', …] on a new database
 * await migrateToLatest(db, 'sqlite', '0002_topic_lifecycle') // only up to this one (tests of upgrades)
 * ```
 */
export async function migrateToLatest(db: Kysely<any>, kind: StoreKind, target?: string): Promise<string[]> {
  const provider: MigrationProvider = { getMigrations: async () => migrations(kind) }
  const migrator = new Migrator({ db, provider })
  const { error, results = [] } = await (target === undefined ? migrator.migrateToLatest() : migrator.migrateTo(target))
  if (error) throw error
  return results.filter((r) => r.status === 'Success').map((r) => r.migrationName)
}

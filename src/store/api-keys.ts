import type { Kysely } from 'kysely'
import type { Database } from './schema.ts'
import type { ApiKeys, StoredApiKey } from './store.ts'

const iso = (value: string | Date) => new Date(value).toISOString()

/**
 * The {@link ApiKeys} role over the query layer, the same on SQLite and PostgreSQL; `guarded` turns a
 * database failure into the store's error, `retrying` runs a transaction again after it lost a conflict.
 *
 * @example
 * ```ts
 * const keys = apiKeyQueries(db, guarded, retryingConflicts)
 * ```
 */
export function apiKeyQueries(
  db: Kysely<Database>,
  guarded: <T>(what: string, work: () => Promise<T>) => Promise<T>,
  retrying: <T>(work: () => Promise<T>) => Promise<T>,
): ApiKeys {
  return {
    insertApiKey: (key) =>
      guarded('storing the key', async () => {
        await db
          .insertInto('api_keys')
          .values({
            id: key.id,
            name: key.name,
            scopes: key.scopes.join(','),
            secret_hash: key.secretHash,
            created_at: key.createdAt,
            last_used_at: null,
            revoked_at: null,
          })
          .execute()
      }),

    listApiKeys: () =>
      guarded('reading the keys', async () => {
        const rows = await db.selectFrom('api_keys').selectAll().orderBy('created_at').orderBy('id').execute()
        return rows.map(
          (row): StoredApiKey => ({
            id: row.id,
            name: row.name,
            scopes: row.scopes.split(','),
            secretHash: row.secret_hash,
            createdAt: iso(row.created_at),
            lastUsedAt: row.last_used_at === null ? null : iso(row.last_used_at),
            revokedAt: row.revoked_at === null ? null : iso(row.revoked_at),
          }),
        )
      }),

    revokeApiKey: (id, at) =>
      guarded('revoking the key', () =>
        retrying(() =>
          db.transaction().execute(async (trx) => {
            const result = await trx
              .updateTable('api_keys')
              .set({ revoked_at: at })
              .where('id', '=', id)
              .where('revoked_at', 'is', null)
              .executeTakeFirst()
            if (Number(result.numUpdatedRows) === 0) return false
            // A revoked key's webhooks stop too: nothing more goes to a team whose access ended.
            await trx
              .updateTable('subscriptions')
              .set({ status: 'disabled', disabled_reason: `the key ${id} that made it was revoked` })
              .where('owner_key_id', '=', id)
              .where('status', '=', 'active')
              .execute()
            return true
          }),
        ),
      ),

    touchApiKeys: (ids, at) =>
      guarded('recording key use', async () => {
        if (ids.length > 0) await db.updateTable('api_keys').set({ last_used_at: at }).where('id', 'in', ids).execute()
      }),
  }
}

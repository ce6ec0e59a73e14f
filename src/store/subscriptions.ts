import { type Kysely, type Selectable, sql, type Transaction } from 'kysely'
import type { ChangeKind } from '../contract/read-api.ts'
import { createGroupCommit } from './group-commit.ts'
import type { Database, SubscriptionsTable } from './schema.ts'
import type { AttemptResult, DeliveryAttempt, StoredSubscription, SubscriptionPatch, Subscriptions } from './store.ts'
import type { StoreKind } from './types.ts'

const iso = (value: string | Date) => new Date(value).toISOString()
const numberOrNull = (value: number | string | null) => (value === null ? null : Number(value))

function subscriptionFromRow(row: Selectable<SubscriptionsTable>): StoredSubscription {
  return {
    id: row.id,
    ownerKeyId: row.owner_key_id,
    url: row.url,
    groupIds: row.group_ids === null ? null : (JSON.parse(row.group_ids) as string[]),
    kinds: row.kinds === null ? null : (row.kinds.split(',') as ChangeKind[]),
    secret: row.secret,
    previousSecret: row.previous_secret,
    previousSecretUntilMs: numberOrNull(row.previous_secret_until_ms),
    status: row.status,
    disabledReason: row.disabled_reason,
    position: Number(row.position),
    failures: Number(row.failures),
    nextAttemptAtMs: numberOrNull(row.next_attempt_at_ms),
    lastError: row.last_error,
    createdAt: iso(row.created_at),
  }
}

/** One attempt to record, with its result. */
interface RecordedAttempt {
  subscriptionId: string
  attempt: DeliveryAttempt
  result: AttemptResult
}

/** Records a batch of attempts in one transaction: one insert for all, one update per attempt, in order. */
async function recordAttempts(trx: Transaction<Database>, items: RecordedAttempt[]): Promise<boolean[]> {
  await trx
    .insertInto('webhook_attempts')
    .values(
      items.map(({ subscriptionId, attempt }) => ({
        subscription_id: subscriptionId,
        position: attempt.position,
        webhook_id: attempt.webhookId,
        at: attempt.at,
        status_code: attempt.statusCode,
        error: attempt.error,
        duration_ms: attempt.durationMs,
      })),
    )
    .execute()
  const moved: boolean[] = []
  for (const { subscriptionId, attempt, result } of items) {
    if (result.acknowledged) {
      const updated = await trx
        .updateTable('subscriptions')
        .set({ position: attempt.position, failures: 0, next_attempt_at_ms: null, last_error: null })
        .where('id', '=', subscriptionId)
        .where('position', '=', result.from)
        .executeTakeFirst()
      moved.push(Number(updated.numUpdatedRows) > 0)
    } else {
      await trx
        .updateTable('subscriptions')
        .set({
          failures: result.failures,
          next_attempt_at_ms: result.nextAttemptAtMs,
          last_error: attempt.error ?? `HTTP ${attempt.statusCode}`,
          ...(result.disable === undefined ? {} : { status: 'disabled', disabled_reason: result.disable }),
        })
        .where('id', '=', subscriptionId)
        .execute()
      moved.push(true)
    }
  }
  return moved
}

/**
 * PostgreSQL: logs a batch of acknowledged attempts and moves each cursor in one statement (a data-
 * modifying CTE), atomic like a transaction.
 */
async function acknowledgeInOneStatement(db: Kysely<Database>, items: RecordedAttempt[]): Promise<boolean[]> {
  const rows = sql.join(
    items.map(
      ({ subscriptionId: id, attempt: a }) =>
        sql`(${id}, ${a.position}::bigint, ${a.webhookId}, ${a.at}::timestamptz, ${a.statusCode}::integer, ${a.error}, ${a.durationMs}::integer)`,
    ),
  )
  // A subscription's consecutive acknowledgements in one batch move its cursor once: from the first's
  // `from` to the last's position (one UPDATE cannot apply two source rows to one target row).
  const moves = new Map<string, { from: number; to: number }>()
  for (const { subscriptionId: id, attempt, result } of items) {
    if (!result.acknowledged) continue
    const move = moves.get(id)
    if (move) move.to = attempt.position
    else moves.set(id, { from: result.from, to: attempt.position })
  }
  const values = sql.join([...moves].map(([id, { from, to }]) => sql`(${id}, ${from}::bigint, ${to}::bigint)`))
  const { rows: moved } = await sql<{ id: string }>`with logged as (
      insert into webhook_attempts (subscription_id, position, webhook_id, at, status_code, error, duration_ms)
      values ${rows}
    )
    update subscriptions as s
    set position = v.to_position, failures = 0, next_attempt_at_ms = null, last_error = null
    from (values ${values}) as v(id, from_position, to_position)
    where s.id = v.id and s.position = v.from_position
    returning s.id`.execute(db)
  const ids = new Set(moved.map((row) => row.id))
  return items.map((item) => ids.has(item.subscriptionId))
}

/** The columns a {@link SubscriptionPatch} sets. */
function columnsOf(patch: SubscriptionPatch): Partial<SubscriptionsTable> {
  const columns: Partial<SubscriptionsTable> = {}
  if (patch.status !== undefined) columns.status = patch.status
  if (patch.disabledReason !== undefined) columns.disabled_reason = patch.disabledReason
  if (patch.failures !== undefined) columns.failures = patch.failures
  if (patch.nextAttemptAtMs !== undefined) columns.next_attempt_at_ms = patch.nextAttemptAtMs
  if (patch.lastError !== undefined) columns.last_error = patch.lastError
  if (patch.secret !== undefined) columns.secret = patch.secret
  if (patch.previousSecret !== undefined) columns.previous_secret = patch.previousSecret
  if (patch.previousSecretUntilMs !== undefined) columns.previous_secret_until_ms = patch.previousSecretUntilMs
  return columns
}

/**
 * The {@link Subscriptions} role over the query layer, the same on SQLite and PostgreSQL; `guarded`
 * turns a database failure into the store's error, `retrying` runs a transaction again after it lost
 * a conflict.
 *
 * @example
 * ```ts
 * const subscriptions = subscriptionQueries(db, 'sqlite', guarded, retryingConflicts)
 * ```
 */
export function subscriptionQueries(
  db: Kysely<Database>,
  kind: StoreKind,
  guarded: <T>(what: string, work: () => Promise<T>) => Promise<T>,
  retrying: <T>(work: () => Promise<T>) => Promise<T>,
): Subscriptions {
  // Every worker records an attempt after each delivery: those that arrive together commit together,
  // so that 20 subscriptions cost one commit (one fsync on SQLite) rather than 20. On PostgreSQL a
  // batch of acknowledgements, the usual case, is one statement: one round trip rather than four.
  const attempts = createGroupCommit<RecordedAttempt, boolean>({
    commit: (items) =>
      retrying(() =>
        kind === 'postgres' && items.every((item) => item.result.acknowledged)
          ? acknowledgeInOneStatement(db, items)
          : db.transaction().execute((trx) => recordAttempts(trx, items)),
      ),
    isolate: () => false,
  })
  return {
    insertSubscription: (s) =>
      guarded('storing the subscription', async () => {
        await db
          .insertInto('subscriptions')
          .values({
            id: s.id,
            owner_key_id: s.ownerKeyId,
            url: s.url,
            group_ids: s.groupIds === null ? null : JSON.stringify(s.groupIds),
            kinds: s.kinds === null ? null : s.kinds.join(','),
            secret: s.secret,
            previous_secret: s.previousSecret,
            previous_secret_until_ms: s.previousSecretUntilMs,
            status: s.status,
            disabled_reason: s.disabledReason,
            position: s.position,
            failures: s.failures,
            next_attempt_at_ms: s.nextAttemptAtMs,
            last_error: s.lastError,
            created_at: s.createdAt,
          })
          .execute()
      }),

    listSubscriptions: (ownerKeyId) =>
      guarded('listing subscriptions', async () => {
        let query = db.selectFrom('subscriptions').selectAll()
        if (ownerKeyId !== undefined) query = query.where('owner_key_id', '=', ownerKeyId)
        const rows = await query.orderBy('created_at').orderBy('id').execute()
        return rows.map(subscriptionFromRow)
      }),

    getSubscription: (id) =>
      guarded('reading the subscription', async () => {
        const row = await db.selectFrom('subscriptions').selectAll().where('id', '=', id).executeTakeFirst()
        return row && subscriptionFromRow(row)
      }),

    deleteSubscription: (id) =>
      guarded('deleting the subscription', () =>
        retrying(() =>
          db.transaction().execute(async (trx) => {
            await trx.deleteFrom('webhook_attempts').where('subscription_id', '=', id).execute()
            const result = await trx.deleteFrom('subscriptions').where('id', '=', id).executeTakeFirst()
            return Number(result.numDeletedRows) > 0
          }),
        ),
      ),

    updateSubscription: (id, patch) =>
      guarded('updating the subscription', async () => {
        const result = await retrying(() =>
          db.updateTable('subscriptions').set(columnsOf(patch)).where('id', '=', id).executeTakeFirst(),
        )
        return Number(result.numUpdatedRows) > 0
      }),

    recordAttempt: (subscriptionId, attempt, result) =>
      guarded('recording the delivery attempt', () => attempts.submit({ subscriptionId, attempt, result })),

    pruneAttempts: (keep) =>
      guarded('pruning delivery attempts', async () => {
        await retrying(() =>
          db
            .deleteFrom('webhook_attempts')
            .where('id', 'in', (eb) =>
              eb
                .selectFrom(
                  eb
                    .selectFrom('webhook_attempts')
                    .select([
                      'id',
                      sql<number>`row_number() over (partition by subscription_id order by id desc)`.as('recent'),
                    ])
                    .as('ranked'),
                )
                .select('ranked.id')
                .where('ranked.recent', '>', keep),
            )
            .execute(),
        )
      }),

    skipTo: (id, from, to) =>
      guarded('moving the subscription on', async () => {
        await retrying(() =>
          db
            .updateTable('subscriptions')
            .set({ position: to })
            .where('id', '=', id)
            .where('position', '=', from)
            .execute(),
        )
      }),

    listAttempts: (id, limit) =>
      guarded('listing delivery attempts', async () => {
        const rows = await db
          .selectFrom('webhook_attempts')
          .selectAll()
          .where('subscription_id', '=', id)
          .orderBy('id', 'desc')
          .limit(limit)
          .execute()
        return rows.map(
          (row): DeliveryAttempt => ({
            position: Number(row.position),
            webhookId: row.webhook_id,
            at: iso(row.at),
            statusCode: numberOrNull(row.status_code),
            error: row.error,
            durationMs: Number(row.duration_ms),
          }),
        )
      }),
  }
}

import { sql, type Insertable, type Kysely, type Transaction } from 'kysely'
import type { EventOutcome } from '../contract/read-api.ts'
import { createGroupCommit } from './group-commit.ts'
import { eventFromRow, toBytes, topicFromRow } from './rows.ts'
import type { Database, TopicsTable } from './schema.ts'
import { StoreError } from './store-error.ts'
import type { Effect, NewTopic, ReceivedCallback, Store, StoreKind, StoredEvent, StoreObserver } from './types.ts'

interface Write {
  callback: ReceivedCallback
  effect: Effect
}

/** Options of {@link createKyselyStore}. */
export interface KyselyStoreOptions {
  db: Kysely<Database>
  kind: StoreKind
  /** Whether an error is about the data of one write (retry the batch one by one) rather than the database. */
  isDataError(error: unknown): boolean
  /** Closes what the dialect opened, after Kysely is destroyed. */
  onClose?(): Promise<void> | void
  observer?: StoreObserver | undefined
}

/** Neither PostgreSQL text nor our JSON columns may hold U+0000; the raw body keeps it, as bytes. */
const noNul = (text: string) => (text.includes('\0') ? text.replaceAll('\0', '\uFFFD') : text)
const iso = (ms: number) => new Date(ms).toISOString()

type Result = { outcome: EventOutcome; reason: string | null }

function topicRow(t: NewTopic, at: string): Insertable<TopicsTable> {
  return {
    topic_id: t.TopicId,
    group_id: t.GroupId,
    name: t.Name,
    type: t.Type,
    owner_account: t.Owner_Account,
    operator_account: t.Operator_Account,
    user_defined_data: t.UserDefinedDataList === null ? null : JSON.stringify(t.UserDefinedDataList),
    client_ip: t.ClientIP,
    opt_platform: t.OptPlatform,
    received_at: at,
  }
}

/**
 * Inserts topics in one statement and tells, for each, whether it is the first delivery: the
 * database, not this process, decides which delivery is first, so replicas race safely. Within the
 * list, the first of two deliveries of one topic is the one stored.
 */
async function createTopics(trx: Transaction<Database>, topics: ReadonlyArray<{ topic: NewTopic; at: string }>): Promise<Result[]> {
  const inserted = await trx
    .insertInto('topics')
    .values(topics.map(({ topic, at }) => topicRow(topic, at)))
    .onConflict((oc) => oc.column('topic_id').doNothing())
    .returning('topic_id')
    .execute()
  const fresh = new Set(inserted.map((row) => row.topic_id))
  return topics.map(({ topic }) => {
    const first = fresh.delete(topic.TopicId)
    return { outcome: first ? 'stored' : 'duplicate', reason: null }
  })
}

async function destroyTopics(trx: Transaction<Database>, topicIds: readonly string[], at: string): Promise<Result> {
  if (topicIds.length === 0) return { outcome: 'ignored', reason: 'TopicIdList is empty' }
  const updated = await trx
    .updateTable('topics')
    .set({ deleted_at: at })
    .where('topic_id', 'in', topicIds)
    .where('deleted_at', 'is', null)
    .executeTakeFirst()
  if (Number(updated.numUpdatedRows) > 0) return { outcome: 'stored', reason: null }
  const known = await trx
    .selectFrom('topics')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('topic_id', 'in', topicIds)
    .executeTakeFirstOrThrow()
  return Number(known.n) > 0
    ? { outcome: 'duplicate', reason: null }
    : { outcome: 'ignored', reason: 'none of the topics in TopicIdList is known' }
}

/** Applies one effect on its own (`replay`). */
async function applyEffect(trx: Transaction<Database>, effect: Effect, at: string): Promise<Result> {
  switch (effect.kind) {
    case 'createTopic':
      return (await createTopics(trx, [{ topic: effect.topic, at }]))[0]!
    case 'destroyTopics':
      return destroyTopics(trx, effect.topicIds, at)
    case 'ignore':
      return { outcome: 'ignored', reason: null }
    case 'reject':
      return { outcome: 'rejected', reason: effect.reason }
  }
}

/**
 * Writes a batch in the caller's transaction: new topics in one insert, then the rarer effects in
 * order, then every event in one insert. Two statements for the common batch, whatever its size.
 */
async function writeBatch(trx: Transaction<Database>, writes: readonly Write[]): Promise<EventOutcome[]> {
  const results = new Array<Result>(writes.length)
  const at = writes.map((w) => iso(w.callback.receivedAt))
  const creates = writes.flatMap((w, i) => (w.effect.kind === 'createTopic' ? [{ i, topic: w.effect.topic, at: at[i]! }] : []))
  if (creates.length > 0) {
    const created = await createTopics(trx, creates)
    creates.forEach(({ i }, k) => (results[i] = created[k]!))
  }
  for (let i = 0; i < writes.length; i++) {
    if (results[i] === undefined) results[i] = await applyEffect(trx, writes[i]!.effect, at[i]!)
  }
  await trx
    .insertInto('callback_events')
    .values(
      writes.map(({ callback }, i) => ({
        received_at: at[i]!,
        command: noNul(callback.command),
        query: JSON.stringify(callback.query),
        body: callback.body,
        outcome: results[i]!.outcome,
        reason: results[i]!.reason === null ? null : noNul(results[i]!.reason!),
      })),
    )
    .execute()
  return results.map((r) => r.outcome)
}

/** A page from rows fetched with `limit + 1`: the extra row only tells that there is a next page. */
function pageOf<R, T>(rows: R[], limit: number, position: (row: R) => number | string, map: (row: R) => T) {
  const page = rows.slice(0, limit)
  return { items: page.map(map), next: rows.length > limit ? Number(position(page[page.length - 1]!)) : null }
}

function storeError(what: string, error: unknown): StoreError {
  return error instanceof StoreError ? error : new StoreError(`${what} failed`, { cause: error })
}

/**
 * The one implementation of {@link Store}, over Kysely: the SQLite and PostgreSQL stores differ only in
 * the dialect they hand it.
 *
 * @example
 * ```ts
 * const store = createKyselyStore({ db, kind: 'sqlite', isDataError: () => false })
 * ```
 */
export function createKyselyStore({ db, kind, isDataError, onClose, observer }: KyselyStoreOptions): Store {
  const writes = createGroupCommit<Write, EventOutcome>({
    commit: (items) => db.transaction().execute((trx) => writeBatch(trx, items)),
    isolate: isDataError,
    ...(observer ? { onCommit: (size, seconds) => observer.commit(size, seconds), onFailure: () => observer.commitFailure() } : {}),
  })

  async function guarded<T>(what: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work()
    } catch (error) {
      throw storeError(what, error)
    }
  }

  return {
    kind,
    record: (callback, effect) => guarded('recording the callback', () => writes.submit({ callback, effect })),

    replay: (eventId, effect, nowMs) =>
      guarded('replaying the event', () =>
        db.transaction().execute(async (trx) => {
          const event = await trx
            .selectFrom('callback_events')
            .select(['received_at', 'outcome'])
            .where('id', '=', eventId)
            .executeTakeFirst()
          if (!event) throw new StoreError(`event ${eventId} does not exist`)
          if (event.outcome !== 'rejected') return event.outcome
          const { outcome, reason } = await applyEffect(trx, effect, iso(new Date(event.received_at).getTime()))
          await trx
            .updateTable('callback_events')
            .set({ outcome, reason: reason === null ? null : noNul(reason), replayed_at: iso(nowMs) })
            .where('id', '=', eventId)
            .execute()
          return outcome
        }),
      ),

    getTopic: (topicId) =>
      guarded('reading the topic', async () => {
        const row = await db.selectFrom('topics').selectAll().where('topic_id', '=', topicId).executeTakeFirst()
        return row && topicFromRow(row)
      }),

    listTopics: ({ groupId, limit, after }) =>
      guarded('listing topics', async () => {
        let query = db.selectFrom('topics').selectAll().where('seq', '>', after)
        if (groupId !== undefined) query = query.where('group_id', '=', groupId)
        const rows = await query.orderBy('seq').limit(limit + 1).execute()
        return pageOf(rows, limit, (row) => row.seq, topicFromRow)
      }),

    listEvents: ({ command, outcome, limit, after }) =>
      guarded('listing events', async () => {
        let query = db.selectFrom('callback_events').selectAll().where('id', '>', after)
        if (command !== undefined) query = query.where('command', '=', command)
        if (outcome !== undefined) query = query.where('outcome', '=', outcome)
        const rows = await query.orderBy('id').limit(limit + 1).execute()
        return pageOf(rows, limit, (row) => row.id, eventFromRow)
      }),

    listRejected: (after, limit) =>
      guarded('listing rejected events', async () => {
        const rows = await db
          .selectFrom('callback_events')
          .selectAll()
          .where('outcome', '=', 'rejected')
          .where('id', '>', after)
          .orderBy('id')
          .limit(limit)
          .execute()
        return rows.map(
          (row): StoredEvent => ({
            id: Number(row.id),
            receivedAt: new Date(row.received_at).getTime(),
            command: row.command,
            query: JSON.parse(row.query),
            body: toBytes(row.body),
            outcome: row.outcome,
            reason: row.reason,
          }),
        )
      }),

    ping: () =>
      guarded('pinging the database', async () => {
        await sql`select 1`.execute(db)
      }),

    async close() {
      await writes.drain()
      await db.destroy()
      await onClose?.()
    },
  }
}

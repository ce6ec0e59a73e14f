import type { Kysely } from 'kysely'
import { unstorable } from '../contract/limits.ts'
import { changeFromRow, eventFromRow, toBytes, topicFromRow } from './rows.ts'
import type { Database } from './schema.ts'
import type { Store } from './store.ts'
import type { StoredEvent } from './types.ts'

/** A page from rows fetched with `limit + 1`: the extra row only tells that there is a next page. */
function pageOf<R, T>(rows: R[], limit: number, position: (row: R) => number | string, map: (row: R) => T) {
  const page = rows.slice(0, limit)
  return { items: page.map(map), next: rows.length > limit ? Number(position(page[page.length - 1]!)) : null }
}

/** The store's reads: one query each, the same on SQLite and PostgreSQL. */
type ReadQueries = Pick<
  Store,
  | 'getTopic'
  | 'listTopics'
  | 'listEvents'
  | 'listRejected'
  | 'groupTopics'
  | 'liveGroupIds'
  | 'countLiveTopics'
  | 'listChanges'
  | 'lastPosition'
  | 'countChanges'
>

/**
 * The store's reads over the query layer; `guarded` turns a database failure into the store's error.
 *
 * @example
 * ```ts
 * const reads = readQueries(db, guarded)
 * ```
 */
export function readQueries(
  db: Kysely<Database>,
  guarded: <T>(what: string, work: () => Promise<T>) => Promise<T>,
): ReadQueries {
  return {
    // A value that no stored row can hold (U+0000, a lone surrogate, past the length limit) is answered
    // without asking the database, which would refuse U+0000 with an error rather than find nothing.
    getTopic: (topicId) =>
      guarded('reading the topic', async () => {
        if (unstorable(topicId)) return undefined
        const row = await db.selectFrom('topics').selectAll().where('topic_id', '=', topicId).executeTakeFirst()
        return row && topicFromRow(row)
      }),

    listTopics: ({ groupId, topicIds, limit, after }) =>
      guarded('listing topics', async () => {
        const ids = topicIds && [...new Set(topicIds)].filter((id) => !unstorable(id))
        if ((groupId !== undefined && unstorable(groupId)) || ids?.length === 0) return { items: [], next: null }
        let query = db.selectFrom('topics').selectAll().where('seq', '>', after)
        if (groupId !== undefined) query = query.where('group_id', '=', groupId)
        if (ids !== undefined) query = query.where('topic_id', 'in', ids)
        const rows = await query
          .orderBy('seq')
          .limit(limit + 1)
          .execute()
        return pageOf(rows, limit, (row) => row.seq, topicFromRow)
      }),

    listEvents: ({ command, outcome, limit, after }) =>
      guarded('listing events', async () => {
        if (command !== undefined && unstorable(command)) return { items: [], next: null }
        let query = db.selectFrom('callback_events').selectAll().where('id', '>', after)
        if (command !== undefined) query = query.where('command', '=', command)
        if (outcome !== undefined) query = query.where('outcome', '=', outcome)
        const rows = await query
          .orderBy('id')
          .limit(limit + 1)
          .execute()
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

    groupTopics: (groupId) =>
      guarded("reading the group's topics", async () => {
        const rows = await db.selectFrom('topics').selectAll().where('group_id', '=', groupId).orderBy('seq').execute()
        return rows.map(topicFromRow)
      }),

    liveGroupIds: () =>
      guarded('listing the groups', async () => {
        const rows = await db
          .selectFrom('topics')
          .select('group_id')
          .distinct()
          .where('deleted_at', 'is', null)
          .orderBy('group_id')
          .execute()
        return rows.map((r) => r.group_id)
      }),

    countLiveTopics: () =>
      guarded('counting the live topics', async () => {
        const { live } = await db
          .selectFrom('topics')
          .select((eb) => eb.fn.countAll<number | string>().as('live'))
          .where('deleted_at', 'is', null)
          .executeTakeFirstOrThrow()
        return Number(live)
      }),

    listChanges: ({ after, limit }) =>
      guarded('listing changes', async () => {
        const rows = await db
          .selectFrom('topics')
          .selectAll()
          .where('position', '>', after)
          .orderBy('position')
          .limit(limit + 1)
          .execute()
        const items = rows.slice(0, limit).map((row) => changeFromRow(row, after))
        return {
          items,
          last: items.length > 0 ? items[items.length - 1]!.position : after,
          hasMore: rows.length > limit,
        }
      }),

    countChanges: (after, cap) =>
      guarded('counting changes', async () => {
        const row = await db
          .selectFrom(db.selectFrom('topics').select('position').where('position', '>', after).limit(cap).as('later'))
          .select((eb) => eb.fn.countAll<number | string>().as('n'))
          .executeTakeFirstOrThrow()
        return Number(row.n)
      }),

    lastPosition: () =>
      guarded('reading the last position', async () => {
        const row = await db.selectFrom('change_counter').select('last').where('id', '=', 1).executeTakeFirst()
        return Number(row?.last ?? 0)
      }),
  }
}

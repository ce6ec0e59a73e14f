import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { Kysely, type SqliteDatabase, SqliteDialect } from 'kysely'
import Libsql from 'libsql'
import { afterAll, describe, expect, it } from 'vitest'
import { type Effect, openSqliteStore } from '../../src/store/index.ts'
import type { Database } from '../../src/store/schema.ts'
import { createSqliteBatchWriter, type SqliteHandle } from '../../src/store/sqlite-batch.ts'
import type { Write } from '../../src/store/write-batch.ts'
import { type Before, batch, before, seed, T0, TOPIC_IDS, topic, writeThroughKysely } from './batches.ts'

const scratch = mkdtempSync(join(tmpdir(), 'imsync-batch-'))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))
let files = 0

/** A database file with `before` in it, written through the store (and so through Kysely). */
async function databaseWith(state: Before): Promise<string> {
  const path = join(scratch, `${++files}.db`)
  const store = await openSqliteStore(path)
  await seed(store, state)
  await store.close()
  return path
}

/** The first column of the first row (libsql's `get` adds a `_metadata` field to its row). */
const scalar = (db: Libsql.Database, sql: string) => (db.prepare(sql).raw(true).get() as unknown[])[0]

const read = (db: Libsql.Database) => ({
  topics: db
    .prepare('select * from topics order by topic_id')
    .all()
    .map(({ seq, position, created_position, ...row }: any) => row),
  positions: db.prepare('select position from topics order by position').pluck().all(),
  counter: scalar(db, 'select last from change_counter'),
  events: db
    .prepare('select * from callback_events order by id')
    .all()
    .map(({ id, ...row }: any) => row),
})

describe('the prepared SQLite write', () => {
  it('writes every batch as writeBatch with assignPositions does: same outcomes, rows, events and positions', async () => {
    await fc.assert(
      fc.asyncProperty(before, batch, async (state, items) => {
        const [preparedFile, kyselyFile] = [await databaseWith(state), await databaseWith(state)]

        const prepared = new Libsql(preparedFile)
        const writer = createSqliteBatchWriter(prepared as unknown as SqliteHandle)
        expect(writer.accepts(items)).toBe(true)
        const viaPrepared = writer.commit(items)

        const viaKysely = new Libsql(kyselyFile)
        const db = new Kysely<Database>({
          dialect: new SqliteDialect({ database: viaKysely as unknown as SqliteDatabase }),
        })
        const { outcomes, last } = await writeThroughKysely(db, items, 'sqlite')

        expect(viaPrepared.outcomes).toEqual(outcomes)
        expect(viaPrepared.last).toEqual(last)
        // Within one transaction the two number the changed topics in another order; the positions
        // handed out, and everything else, are the same.
        expect(read(prepared)).toEqual(read(viaKysely))
        prepared.close()
        await db.destroy()
      }),
      { numRuns: 60 },
    )
  })

  it('leaves the database as it was when a statement fails, and can write the next batch', async () => {
    const path = await databaseWith({ reconciled: [], stored: [], destroyedTopics: [], disbanded: [] })
    const db = new Libsql(path)
    const writer = createSqliteBatchWriter(db as unknown as SqliteHandle)
    const write = (topicId: string, outcome?: Effect): Write => ({
      callback: { receivedAt: T0, command: 'Group.CallbackAfterCreateTopic', query: {}, body: new Uint8Array([1]) },
      effect: outcome ?? { kind: 'createTopic', topic: topic(topicId, 'n') },
    })
    // A trigger plays a failure after the topics went in (a full disk, a constraint on the event log).
    db.exec(
      `create trigger refuse before insert on callback_events when new.body = x'02' begin select raise(abort, 'refused'); end`,
    )
    const bad = { ...write(TOPIC_IDS[1]!), callback: { ...write(TOPIC_IDS[1]!).callback, body: new Uint8Array([2]) } }
    expect(() => writer.commit([write(TOPIC_IDS[0]!), bad])).toThrow(/refused/)
    expect(db.inTransaction).toBe(false)
    expect(scalar(db, 'select count(*) from topics')).toBe(0)
    expect(scalar(db, 'select last from change_counter')).toBe(0)
    expect(writer.commit([write(TOPIC_IDS[0]!), write(TOPIC_IDS[0]!)])).toEqual({
      outcomes: ['stored', 'duplicate'],
      last: 1,
    })
    db.close()
  })

  it('leaves destroys and profile changes to Kysely', () => {
    const writer = createSqliteBatchWriter({
      prepare: () => {
        throw new Error('not used')
      },
      inTransaction: false,
    })
    const callback = { receivedAt: T0, command: 'c', query: {}, body: new Uint8Array() }
    expect(
      writer.accepts([
        { callback, effect: { kind: 'ignore' } },
        { callback, effect: { kind: 'createTopic', topic: topic(TOPIC_IDS[0]!, 'n') } },
      ]),
    ).toBe(true)
    expect(
      writer.accepts([
        { callback, effect: { kind: 'ignore' } },
        { callback, effect: { kind: 'destroyGroup', groupId: 'g' } },
      ]),
    ).toBe(false)
    expect(
      writer.accepts([
        { callback, effect: { kind: 'changeTopicInfo', groupId: 'g', topicId: undefined, profile: {} } },
      ]),
    ).toBe(false)
  })
})

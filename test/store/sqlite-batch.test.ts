import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { Kysely, type SqliteDatabase, SqliteDialect } from 'kysely'
import Libsql from 'libsql'
import { afterAll, describe, expect, it } from 'vitest'
import { assignPositions } from '../../src/store/change-positions.ts'
import { type Effect, type NewTopic, openSqliteStore } from '../../src/store/index.ts'
import type { Database } from '../../src/store/schema.ts'
import { createSqliteBatchWriter, type SqliteHandle } from '../../src/store/sqlite-batch.ts'
import { type Write, writeBatch } from '../../src/store/write-batch.ts'

const scratch = mkdtempSync(join(tmpdir(), 'imsync-batch-'))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))
let files = 0

const T0 = Date.UTC(2026, 10, 24, 8, 0, 0)
// Few enough that batches repeat topics, enough that the topics of one batch take several chunks.
const TOPIC_IDS = Array.from(
  { length: 13 },
  (_, i) => `@TGS#_g${1 + (i % 2)}@TOPIC#_${String.fromCharCode(0x61 + ((i * 7) % 13))}`,
)
const groupOf = (topicId: string) => (topicId.startsWith('@TGS#_g1') ? '@TGS#_g1' : '@TGS#_g2')

function topic(topicId: string, name: string): NewTopic {
  return {
    GroupId: groupOf(topicId),
    TopicId: topicId,
    Name: name,
    Type: 'Community',
    Owner_Account: 'leckie',
    Operator_Account: 'group_root',
    UserDefinedDataList: name.length % 2 === 0 ? null : [{ Key: 'k', Value: name }],
    ClientIP: '10.0.0.1',
    OptPlatform: 'iOS',
  }
}

/** What was in the database before the batch: topics reconciliation inserted, and tombstones. */
interface Before {
  reconciled: string[]
  stored: string[]
  destroyedTopics: string[]
  disbanded: string[]
}

/** A database file with `before` in it, written through the store (and so through Kysely). */
async function databaseWith(before: Before): Promise<string> {
  const path = join(scratch, `${++files}.db`)
  const store = await openSqliteStore(path)
  const at = T0 - 60_000
  await store.applyMirrorChanges(
    before.reconciled.map((topicId) => ({
      kind: 'insert',
      groupId: groupOf(topicId),
      topicId,
      profile: { Name: 'from IM', Introduction: null, Notification: null, FaceUrl: null, CustomString: null },
      reason: 'listed',
    })),
    at,
    at,
  )
  const received = (n: number) => ({ receivedAt: at + n, command: 'x', query: {}, body: new Uint8Array() })
  for (const [n, topicId] of before.stored.entries())
    await store.record(received(n), { kind: 'createTopic', topic: topic(topicId, 'first') })
  if (before.destroyedTopics.length > 0)
    await store.record(received(100), { kind: 'destroyTopics', groupId: '@TGS#_g1', topicIds: before.destroyedTopics })
  for (const groupId of before.disbanded) await store.record(received(200), { kind: 'destroyGroup', groupId })
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

const effect = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .record({ id: fc.constantFrom(...TOPIC_IDS), name: fc.string({ maxLength: 6 }) })
      .map(({ id, name }): Effect => ({ kind: 'createTopic', topic: topic(id, name) })),
  },
  { weight: 1, arbitrary: fc.constant<Effect>({ kind: 'ignore' }) },
  { weight: 1, arbitrary: fc.constant<Effect>({ kind: 'ignore', reason: 'no TopicId' }) },
  {
    weight: 1,
    arbitrary: fc.string({ maxLength: 8 }).map((reason): Effect => ({ kind: 'reject', reason: `bad\u0000${reason}` })),
  },
)

const subset = fc.subarray(TOPIC_IDS)

describe('the prepared SQLite write', () => {
  it('writes every batch as writeBatch with assignPositions does: same outcomes, rows, events and positions', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          reconciled: subset,
          stored: subset,
          destroyedTopics: subset,
          disbanded: fc.subarray(['@TGS#_g1', '@TGS#_g2']),
        }),
        fc.array(effect, { minLength: 1, maxLength: 40 }),
        fc.boolean(),
        async (before, effects, keepBodies) => {
          const items: Write[] = effects.map((e, i) => ({
            callback: {
              receivedAt: T0 + i,
              command: `Group.Command${i % 3}\u0000`,
              query: { n: String(i) },
              body: new TextEncoder().encode(`{"n":${i}}`),
              keepBody: keepBodies || i % 2 === 0,
            },
            effect: e,
          }))
          const [preparedFile, kyselyFile] = [await databaseWith(before), await databaseWith(before)]

          const prepared = new Libsql(preparedFile)
          const writer = createSqliteBatchWriter(prepared as unknown as SqliteHandle)
          expect(writer.accepts(items)).toBe(true)
          const viaPrepared = writer.commit(items)

          const viaKysely = new Libsql(kyselyFile)
          const db = new Kysely<Database>({
            dialect: new SqliteDialect({ database: viaKysely as unknown as SqliteDatabase }),
          })
          let last: number | null = null
          const outcomes = await db.transaction().execute(async (trx) => {
            const result = await writeBatch(trx, items)
            last = await assignPositions(trx, 'sqlite')
            return result
          })

          expect(viaPrepared.outcomes).toEqual(outcomes)
          expect(viaPrepared.last).toEqual(last)
          // Within one transaction the two number the changed topics in another order; the positions
          // handed out, and everything else, are the same.
          expect(read(prepared)).toEqual(read(viaKysely))
          prepared.close()
          await db.destroy()
        },
      ),
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
      retries: 0,
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

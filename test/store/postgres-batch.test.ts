import fc from 'fast-check'
import { Kysely, PostgresDialect } from 'kysely'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openPostgresStore, type Store } from '../../src/store/index.ts'
import { createKyselyStore } from '../../src/store/kysely-store.ts'
import { createPostgresBatchWriter } from '../../src/store/postgres-batch.ts'
import type { Database } from '../../src/store/schema.ts'
import type { Write } from '../../src/store/write-batch.ts'
import { createThrowawayDatabase, postgresAvailable, type ThrowawayDatabase } from '../helpers/postgres.ts'
import { batch, before, seed, T0, TOPIC_IDS, topic, writeThroughKysely } from './batches.ts'

/** A database with the store's schema, a store on it to seed it, and a pool of its own. */
interface Side {
  database: ThrowawayDatabase
  store: Store
  pool: pg.Pool
}

async function side(): Promise<Side> {
  const database = await createThrowawayDatabase()
  const store = await openPostgresStore(database.url)
  return { database, store, pool: new pg.Pool({ connectionString: database.url, max: 2 }) }
}

/** Empties what a batch writes, and the change counter. */
const reset = ({ pool }: Side) =>
  pool.query(
    'truncate topics, callback_events, topic_tombstones, group_tombstones restart identity; update change_counter set last = 0',
  )

const read = async ({ pool }: Side) => ({
  topics: (await pool.query('select * from topics order by topic_id')).rows.map(
    ({ seq, position, created_position, ...row }) => row,
  ),
  positions: (await pool.query('select position from topics order by position')).rows.map((r) => r.position),
  counter: (await pool.query('select last from change_counter')).rows[0].last,
  events: (await pool.query('select * from callback_events order by id')).rows.map(({ id, ...row }) => row),
})

const write = (topicId: string, body = new Uint8Array([1])): Write => ({
  callback: { receivedAt: T0, command: 'Group.CallbackAfterCreateTopic', query: {}, body },
  effect: { kind: 'createTopic', topic: topic(topicId, 'n') },
})

describe.skipIf(!postgresAvailable)(
  'the prepared PostgreSQL write (skipped only when no server is reachable; see the warning above)',
  () => {
    let prepared: Side
    let viaKysely: Side
    beforeAll(async () => {
      ;[prepared, viaKysely] = await Promise.all([side(), side()])
    })
    afterAll(async () => {
      for (const s of [prepared, viaKysely]) {
        await s?.pool.end()
        await s?.store.close()
        await s?.database.drop()
      }
    })

    it('writes every batch as writeBatch with assignPositions does: same outcomes, rows, events and positions', async () => {
      const writer = createPostgresBatchWriter(prepared.pool)
      const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: viaKysely.pool }) })
      await fc.assert(
        fc.asyncProperty(before, batch, async (state, items) => {
          for (const s of [prepared, viaKysely]) {
            await reset(s)
            await seed(s.store, state)
          }

          expect(writer.accepts(items)).toBe(true)
          const viaPrepared = await writer.commit(items)
          const { outcomes, last } = await writeThroughKysely(db, items, 'postgres')

          expect(viaPrepared.outcomes).toEqual(outcomes)
          expect(viaPrepared.last).toEqual(last)
          expect(viaPrepared.lock !== undefined).toBe(last !== null)
          expect(await read(prepared)).toEqual(await read(viaKysely))
        }),
        { numRuns: 30 },
      )
    })

    it('leaves the database as it was when a statement fails, gives its connection back, and writes the next batch', async () => {
      await reset(prepared)
      const writer = createPostgresBatchWriter(prepared.pool)
      // A trigger plays a failure after the topics went in (a constraint on the event log).
      await prepared.pool.query(`create function refuse() returns trigger language plpgsql as $$
        begin if new.body = '\\x02'::bytea then raise exception 'refused'; end if; return new; end $$;
        create trigger refuse before insert on callback_events for each row execute function refuse()`)
      try {
        await expect(writer.commit([write(TOPIC_IDS[0]!), write(TOPIC_IDS[1]!, new Uint8Array([2]))])).rejects.toThrow(
          /refused/,
        )
        expect((await prepared.pool.query('select count(*)::int as n from topics')).rows[0].n).toBe(0)
        expect((await prepared.pool.query('select last from change_counter')).rows[0].last).toBe('0')
        expect(prepared.pool.idleCount).toBe(prepared.pool.totalCount)
        const committed = await writer.commit([write(TOPIC_IDS[0]!), write(TOPIC_IDS[0]!)])
        expect(committed).toMatchObject({ outcomes: ['stored', 'duplicate'], last: 1 })
      } finally {
        await prepared.pool.query('drop trigger refuse on callback_events; drop function refuse()')
      }
    })

    it('marks a failure after COMMIT was sent, whose outcome is unknown, so that it is not run again', async () => {
      await reset(prepared)
      /** A pool whose connections lose themselves when `statement` is sent, as a connection lost then does. */
      const losingOn = (statement: string) => ({
        async connect() {
          const client = await prepared.pool.connect()
          return new Proxy(client, {
            get(target, property) {
              if (property === 'query')
                return (...args: unknown[]) =>
                  args[0] === statement
                    ? Promise.reject(new Error('Connection terminated unexpectedly'))
                    : (target.query as (...a: unknown[]) => unknown)(...args)
              const value = Reflect.get(target, property)
              return typeof value === 'function' ? value.bind(target) : value
            },
          })
        },
      })
      const duringCommit = await createPostgresBatchWriter(losingOn('commit'))
        .commit([write(TOPIC_IDS[2]!)])
        .catch((e: unknown) => e)
      expect(duringCommit).toMatchObject({ message: 'Connection terminated unexpectedly', committing: true })
      const beforeCommit = await createPostgresBatchWriter(losingOn('begin'))
        .commit([write(TOPIC_IDS[3]!)])
        .catch((e: unknown) => e)
      expect(beforeCommit).toBeInstanceOf(Error)
      expect((beforeCommit as { committing?: boolean }).committing).toBeUndefined()
      expect(prepared.pool.idleCount).toBe(prepared.pool.totalCount)
    })

    it('gives way to Kysely for good, and says so, when the database loses a statement it prepared (a pooler in transaction mode)', async () => {
      await reset(prepared)
      const warnings: string[] = []
      // One connection, so that the statements it prepared can be dropped behind pg's back, as a pooler
      // that hands the next transaction another server connection does.
      const pool = new pg.Pool({ connectionString: prepared.database.url, max: 1 })
      try {
        const writer = createPostgresBatchWriter(pool, (message) => warnings.push(message))
        expect(await writer.commit([write(TOPIC_IDS[4]!)])).toMatchObject({ outcomes: ['stored'], last: 1 })
        await pool.query('deallocate all')
        const error = await writer.commit([write(TOPIC_IDS[5]!)]).catch((e: unknown) => e)
        expect(error).toMatchObject({ code: '26000' })
        expect(writer.accepts([write(TOPIC_IDS[5]!)])).toBe(false)
        expect(warnings).toEqual([expect.stringMatching(/prepared statement was lost .*PgBouncer/)])
        // Nothing of the failed batch was written, and the connection is still in use.
        expect((await pool.query('select count(*)::int as n from topics')).rows[0].n).toBe(1)
        expect(pool.totalCount).toBe(1)
      } finally {
        await pool.end()
      }
    })

    it('writes through Kysely the batch that its prepared writer gave up on', async () => {
      await reset(prepared)
      const pool = new pg.Pool({ connectionString: prepared.database.url, max: 2 })
      let on = true
      const store = createKyselyStore({
        db: new Kysely<Database>({ dialect: new PostgresDialect({ pool }) }),
        kind: 'postgres',
        isDataError: () => false,
        plainWrites: {
          accepts: () => on,
          commit: async () => {
            on = false
            throw Object.assign(new Error('prepared statement "imsync_insert_topics" does not exist'), {
              code: '26000',
            })
          },
        },
      })
      try {
        expect(await store.record(write(TOPIC_IDS[6]!).callback, write(TOPIC_IDS[6]!).effect)).toBe('stored')
        expect(on).toBe(false)
        expect((await store.getTopic(TOPIC_IDS[6]!))?.TopicId).toBe(TOPIC_IDS[6])
      } finally {
        await store.close()
      }
    })
  },
)

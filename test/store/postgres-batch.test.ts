import fc from 'fast-check'
import { Kysely, PostgresDialect } from 'kysely'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { assignPositions } from '../../src/store/change-positions.ts'
import { openPostgresStore, type Store } from '../../src/store/index.ts'
import { createPostgresBatchWriter } from '../../src/store/postgres-batch.ts'
import type { Database } from '../../src/store/schema.ts'
import { type Write, writeBatch } from '../../src/store/write-batch.ts'
import { createThrowawayDatabase, postgresAvailable, type ThrowawayDatabase } from '../helpers/postgres.ts'
import { before, effect, seed, T0, TOPIC_IDS, topic } from './batches.ts'

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
        fc.asyncProperty(
          before,
          fc.array(effect, { minLength: 1, maxLength: 40 }),
          fc.boolean(),
          async (state, effects, keepBodies) => {
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
            for (const s of [prepared, viaKysely]) {
              await reset(s)
              await seed(s.store, state)
            }

            expect(writer.accepts(items)).toBe(true)
            const viaPrepared = await writer.commit(items)
            let last: number | null = null
            const outcomes = await db.transaction().execute(async (trx) => {
              const result = await writeBatch(trx, items)
              last = await assignPositions(trx, 'postgres')
              return result
            })

            expect(viaPrepared.outcomes).toEqual(outcomes)
            expect(viaPrepared.last).toEqual(last)
            expect(viaPrepared.lock !== undefined).toBe(last !== null)
            expect(await read(prepared)).toEqual(await read(viaKysely))
          },
        ),
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
        expect(committed).toMatchObject({ outcomes: ['stored', 'duplicate'], last: 1, retries: 0 })
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
  },
)

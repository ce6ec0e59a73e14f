import pg from 'pg'
import { describe, expect, it } from 'vitest'
import { type Effect, openPostgresStore, type ReceivedCallback } from '../../src/store/index.ts'
import { isPostgresConnectionLost } from '../../src/store/postgres.ts'
import { createThrowawayDatabase, postgresAvailable, SERVER_URL } from '../helpers/postgres.ts'

const callback = (n: number): ReceivedCallback => ({
  receivedAt: Date.UTC(2026, 10, 24) + n,
  command: 'Group.CallbackAfterCreateTopic',
  query: {},
  body: new Uint8Array([n]),
})
const create = (n: number): Effect => ({
  kind: 'createTopic',
  topic: {
    GroupId: '@TGS#g',
    TopicId: `@TGS#_g@TOPIC#_${n}`,
    Name: 'n',
    Type: 'Community',
    Owner_Account: 'a',
    Operator_Account: 'b',
    UserDefinedDataList: null,
    ClientIP: null,
    OptPlatform: null,
  },
})

describe('a lost PostgreSQL connection', () => {
  it('is told by its code or by what pg says, and nothing else is', () => {
    for (const code of ['57P01', '57P02', '08006', '08003', 'ECONNRESET', 'EPIPE'])
      expect(isPostgresConnectionLost({ code })).toBe(true)
    expect(isPostgresConnectionLost(new Error('Connection terminated unexpectedly'))).toBe(true)
    expect(isPostgresConnectionLost(new Error('Client has encountered a connection error and is not queryable'))).toBe(
      true,
    )
    for (const code of ['40001', '23505', '57014', 'ECONNREFUSED', undefined])
      expect(isPostgresConnectionLost({ code, message: 'x' })).toBe(false)
    expect(isPostgresConnectionLost(undefined)).toBe(false)
  })

  it.skipIf(!postgresAvailable)(
    'does not fail the next callbacks: their transaction runs again on a fresh connection',
    async () => {
      const db = await createThrowawayDatabase()
      const store = await openPostgresStore(db.url, { maxConnections: 4 })
      const admin = new pg.Client({ connectionString: SERVER_URL })
      await admin.connect()
      try {
        // Idle connections in the pool, then every backend of the database terminated, and at once more callbacks.
        await Promise.all([1, 2, 3, 4].map((n) => store.record(callback(n), create(n))))
        for (let round = 0; round < 5; round++) {
          await admin.query(
            'select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()',
            [db.name],
          )
          const outcomes = await Promise.all(
            [0, 1, 2, 3].map((k) => store.record(callback(10 + round * 4 + k), create(10 + round * 4 + k))),
          )
          expect(outcomes).toEqual(['stored', 'stored', 'stored', 'stored'])
        }
        expect((await store.listTopics({ limit: 100, after: 0 })).items).toHaveLength(24)
      } finally {
        await admin.end()
        await store.close()
        await db.drop()
      }
    },
  )
})

import pg from 'pg'
import { describe, expect, it } from 'vitest'
import { openPostgresStore, type StoreObserver } from '../../src/store/index.ts'
import { createThrowawayDatabase, postgresAvailable } from '../helpers/postgres.ts'
import { runStoreContract } from './store-contract.ts'

describe.skipIf(!postgresAvailable)(
  'PostgreSQL (skipped only when no server is reachable; see the warning above)',
  () => {
    runStoreContract('PostgreSQL', async () => {
      const db = await createThrowawayDatabase()
      return { open: () => openPostgresStore(db.url), drop: db.drop }
    })

    it("tells its observer how long each topic-changing transaction waited for the change counter's lock and held it", async () => {
      const db = await createThrowawayDatabase()
      const locks: Array<{ wait: number; hold: number }> = []
      const observer: StoreObserver = {
        commit: () => {},
        commitFailure: () => {},
        counterLock: (wait, hold) => void locks.push({ wait, hold }),
      }
      const store = await openPostgresStore(db.url, { observer })
      // Another replica's transaction holds the counter's row for 300 ms.
      const other = new pg.Client({ connectionString: db.url })
      await other.connect()
      try {
        const callback = (n: number) => ({
          receivedAt: Date.UTC(2026, 11, 7) + n,
          command: 'Group.CallbackAfterCreateTopic',
          query: {},
          body: new Uint8Array(0),
        })
        const topic = (n: number) => ({
          GroupId: '@TGS#g',
          TopicId: `@TGS#_@TGS#g@TOPIC#_${n}`,
          Name: `t${n}`,
          Type: 'Community',
          Owner_Account: 'leckie',
          Operator_Account: 'group_root',
          UserDefinedDataList: null,
          ClientIP: null,
          OptPlatform: null,
        })
        expect(await store.record(callback(1), { kind: 'createTopic', topic: topic(1) })).toBe('stored')
        // A transaction that changes no topic does not take the lock.
        expect(await store.record(callback(2), { kind: 'ignore', reason: 'test' })).toBe('ignored')
        expect(locks).toHaveLength(1)
        expect(locks[0]!.wait).toBeGreaterThan(0)
        expect(locks[0]!.hold).toBeGreaterThan(0)

        await other.query('begin')
        await other.query('update change_counter set last = last where id = 1')
        const released = new Promise((resolve) => setTimeout(resolve, 300)).then(() => other.query('commit'))
        expect(await store.record(callback(3), { kind: 'createTopic', topic: topic(3) })).toBe('stored')
        await released
        expect(locks).toHaveLength(2)
        expect(locks[1]!.wait).toBeGreaterThanOrEqual(0.25)
        expect(locks[1]!.hold).toBeLessThan(0.25)
        // The two topics took positions 1 and 2, in commit order.
        const page = await store.listChanges({ after: 0, limit: 10 })
        expect(page.items.map((c) => [c.position, c.topic.TopicId])).toEqual([
          [1, '@TGS#_@TGS#g@TOPIC#_1'],
          [2, '@TGS#_@TGS#g@TOPIC#_3'],
        ])
      } finally {
        await other.end()
        await store.close()
        await db.drop()
      }
    })
  },
)

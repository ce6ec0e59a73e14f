// What the tests of the two prepared batch writers (SQLite's and PostgreSQL's) share: the topics, the
// state a database starts in, and batches drawn at random, which each test writes through the prepared
// writer and through writeBatch with assignPositions and compares.
import fc from 'fast-check'
import type { Kysely } from 'kysely'
import { assignPositions } from '../../src/store/change-positions.ts'
import type { Effect, NewTopic, Store } from '../../src/store/index.ts'
import type { Database } from '../../src/store/schema.ts'
import type { StoreKind } from '../../src/store/types.ts'
import { type Write, writeBatch } from '../../src/store/write-batch.ts'

export const T0 = Date.UTC(2026, 10, 24, 8, 0, 0)
// Few enough that batches repeat topics, enough that the topics of one batch take several chunks.
export const TOPIC_IDS = Array.from(
  { length: 13 },
  (_, i) => `@TGS#_g${1 + (i % 2)}@TOPIC#_${String.fromCharCode(0x61 + ((i * 7) % 13))}`,
)
export const groupOf = (topicId: string) => (topicId.startsWith('@TGS#_g1') ? '@TGS#_g1' : '@TGS#_g2')

export function topic(topicId: string, name: string): NewTopic {
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
export interface Before {
  reconciled: string[]
  stored: string[]
  destroyedTopics: string[]
  disbanded: string[]
}

export const effect = fc.oneof(
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

export const subset = fc.subarray(TOPIC_IDS)

/** A batch of 1 to 40 callbacks, some of which do not keep their body. */
export const batch = fc
  .tuple(fc.array(effect, { minLength: 1, maxLength: 40 }), fc.boolean())
  .map(([effects, keepBodies]): Write[] =>
    effects.map((e, i) => ({
      callback: {
        receivedAt: T0 + i,
        command: `Group.Command${i % 3}\u0000`,
        query: { n: String(i) },
        body: new TextEncoder().encode(`{"n":${i}}`),
        keepBody: keepBodies || i % 2 === 0,
      },
      effect: e,
    })),
  )

/** The state a database starts in, drawn at random. */
export const before = fc.record({
  reconciled: subset,
  stored: subset,
  destroyedTopics: subset,
  disbanded: fc.subarray(['@TGS#_g1', '@TGS#_g2']),
})

/** Writes `state` through the store (and so through Kysely). */
export async function seed(store: Store, state: Before): Promise<void> {
  const at = T0 - 60_000
  await store.applyMirrorChanges(
    state.reconciled.map((topicId) => ({
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
  for (const [n, topicId] of state.stored.entries())
    await store.record(received(n), { kind: 'createTopic', topic: topic(topicId, 'first') })
  if (state.destroyedTopics.length > 0)
    await store.record(received(100), { kind: 'destroyTopics', groupId: '@TGS#_g1', topicIds: state.destroyedTopics })
  for (const groupId of state.disbanded) await store.record(received(200), { kind: 'destroyGroup', groupId })
}

/** What the prepared writers are compared with: the batch through `writeBatch` and `assignPositions`. */
export async function writeThroughKysely(db: Kysely<Database>, items: Write[], kind: StoreKind) {
  let last: number | null = null
  const outcomes = await db.transaction().execute(async (trx) => {
    const result = await writeBatch(trx, items)
    last = await assignPositions(trx, kind)
    return result
  })
  return { outcomes, last }
}

import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Effect, NewTopic, ReceivedCallback, Store } from '../../src/store/index.ts'

/** A fresh, empty database that the suite can open (and reopen) stores on. */
export interface TestDatabase {
  open(): Promise<Store>
  drop(): Promise<void>
}

const T0 = Date.UTC(2026, 10, 22, 8, 0, 0)
let clock = T0

function received(command = 'Group.CallbackAfterCreateTopic', body: string | Uint8Array = '{}'): ReceivedCallback {
  return {
    receivedAt: (clock += 1000),
    command,
    query: { SdkAppid: '1400000000', CallbackCommand: command, ClientIP: '10.0.0.1' },
    body: typeof body === 'string' ? new TextEncoder().encode(body) : body,
  }
}

function topic(n: number, overrides: Partial<NewTopic> = {}): NewTopic {
  return {
    GroupId: n % 2 === 0 ? '@TGS#even' : '@TGS#odd',
    TopicId: `@TGS#_@TGS#g@TOPIC#_${n}`,
    Name: `topic ${n}`,
    Type: 'Community',
    Owner_Account: 'leckie',
    Operator_Account: 'group_root',
    UserDefinedDataList: [
      { Key: 'z', Value: 'last alphabetically, first in order' },
      { Key: 'a', Value: 'then this' },
      { Key: 'm', Value: '' },
    ],
    ClientIP: '10.0.0.1',
    OptPlatform: 'iOS',
    ...overrides,
  }
}

const create = (n: number, overrides?: Partial<NewTopic>): Effect => ({
  kind: 'createTopic',
  topic: topic(n, overrides),
})

/**
 * The behaviour every {@link Store} must have, run against each implementation on a real database.
 */
export function runStoreContract(kind: string, newDatabase: () => Promise<TestDatabase>): void {
  describe(`the ${kind} store`, () => {
    let database: TestDatabase
    let store: Store

    beforeEach(async () => {
      clock = T0
      database = await newDatabase()
      store = await database.open()
    })
    afterEach(async () => {
      await store.close().catch(() => {})
      await database.drop()
    })

    it('stores a topic with every field, custom fields in order', async () => {
      expect(await store.record(received(), create(1))).toBe('stored')
      expect(await store.getTopic(topic(1).TopicId)).toEqual({
        ...topic(1),
        Introduction: null,
        Notification: null,
        FaceUrl: null,
        CustomString: null,
        ReceivedAt: '2026-11-22T08:00:01.000Z',
        UpdatedAt: '2026-11-22T08:00:01.000Z',
        DeletedAt: null,
      })
    })

    it('keeps a topic without custom fields with the list as null', async () => {
      await store.record(received(), create(1, { UserDefinedDataList: null, ClientIP: null, OptPlatform: null }))
      expect(await store.getTopic(topic(1).TopicId)).toMatchObject({
        UserDefinedDataList: null,
        ClientIP: null,
        OptPlatform: null,
      })
    })

    it('lets the first delivery win and calls the next a duplicate', async () => {
      expect(await store.record(received(), create(1))).toBe('stored')
      expect(await store.record(received(), create(1, { Name: 'second' }))).toBe('duplicate')
      expect((await store.getTopic(topic(1).TopicId))?.Name).toBe('topic 1')
    })

    it('stores one row for 50 concurrent deliveries of one topic', async () => {
      const outcomes = await Promise.all(Array.from({ length: 50 }, () => store.record(received(), create(7))))
      expect(outcomes.filter((o) => o === 'stored')).toHaveLength(1)
      expect(outcomes.filter((o) => o === 'duplicate')).toHaveLength(49)
      expect((await store.listTopics({ limit: 500, after: 0 })).items).toHaveLength(1)
    })

    it('stores one row when two stores on the same database race', async () => {
      const other = await database.open()
      try {
        const outcomes = await Promise.all(
          Array.from({ length: 40 }, (_, i) => (i % 2 ? store : other).record(received(), create(i % 10))),
        )
        expect(outcomes.filter((o) => o === 'stored')).toHaveLength(10)
        expect((await store.listTopics({ limit: 500, after: 0 })).items).toHaveLength(10)
      } finally {
        await other.close()
      }
    })

    it('marks destroyed topics deleted, keeps the rows, and calls a repeat a duplicate', async () => {
      await store.record(received(), create(1))
      await store.record(received(), create(2))
      const destroy: Effect = { kind: 'destroyTopics', groupId: 'g', topicIds: [topic(1).TopicId, topic(2).TopicId] }
      expect(await store.record(received('Group.CallbackAfterTopicDestroyed'), destroy)).toBe('stored')
      const one = await store.getTopic(topic(1).TopicId)
      expect(one?.DeletedAt).toBe('2026-11-22T08:00:03.000Z')
      expect(one?.Name).toBe('topic 1')
      expect(await store.record(received('Group.CallbackAfterTopicDestroyed'), destroy)).toBe('duplicate')
      expect((await store.getTopic(topic(1).TopicId))?.DeletedAt).toBe('2026-11-22T08:00:03.000Z')
    })

    it('keeps a tombstone for the destruction of a topic not stored yet, so that its late create lands deleted', async () => {
      const destroy: Effect = { kind: 'destroyTopics', groupId: '@TGS#odd', topicIds: [topic(1).TopicId] }
      expect(await store.record(received('Group.CallbackAfterTopicDestroyed'), destroy)).toBe('stored')
      const [event] = (await store.listEvents({ limit: 10, after: 0 })).items
      expect(event?.Reason).toBe(
        'the topics are not known yet: kept as tombstones, so a late create is stored as deleted',
      )
      expect(await store.getTopic(topic(1).TopicId)).toBeUndefined()
      // The create arrives late, alone and then in a batch with others: it is stored, as deleted.
      expect(await store.record(received(), create(1))).toBe('stored')
      expect(await store.getTopic(topic(1).TopicId)).toMatchObject({
        Name: 'topic 1',
        DeletedAt: '2026-11-22T08:00:01.000Z',
      })
      await Promise.all([3, 5].map((n) => store.record(received(), create(n))))
      expect((await store.getTopic(topic(3).TopicId))?.DeletedAt).toBeNull()
      // A re-delivery of the create never undoes the delete.
      expect(await store.record(received(), create(1))).toBe('duplicate')
      expect((await store.getTopic(topic(1).TopicId))?.DeletedAt).toBe('2026-11-22T08:00:01.000Z')
    })

    it('marks every topic of a disbanded Community deleted, and a late create of one of them too', async () => {
      await Promise.all([1, 2, 3].map((n) => store.record(received(), create(n))))
      const disband: Effect = { kind: 'destroyGroup', groupId: '@TGS#odd' }
      expect(await store.record(received('Group.CallbackAfterGroupDestroyed'), disband)).toBe('stored')
      const deleted = (await store.groupTopics('@TGS#odd')).map((t) => t.DeletedAt)
      expect(deleted).toEqual(['2026-11-22T08:00:04.000Z', '2026-11-22T08:00:04.000Z'])
      expect((await store.getTopic(topic(2).TopicId))?.DeletedAt).toBeNull()
      expect(await store.record(received('Group.CallbackAfterGroupDestroyed'), disband)).toBe('duplicate')
      expect(await store.record(received(), create(5))).toBe('stored')
      expect((await store.getTopic(topic(5).TopicId))?.DeletedAt).toBe('2026-11-22T08:00:04.000Z')
      expect(await store.liveGroupIds()).toEqual(['@TGS#even'])
    })

    it('applies a topic profile change that names its topic, and ignores one that does not', async () => {
      await store.record(received(), create(1))
      const named: Effect = {
        kind: 'changeTopicInfo',
        groupId: '@TGS#odd',
        topicId: topic(1).TopicId,
        profile: { Name: 'renamed', FaceUrl: 'https://x/y.png' },
      }
      expect(await store.record(received('Group.CallbackAfterTopicInfoChanged'), named)).toBe('stored')
      expect(await store.getTopic(topic(1).TopicId)).toMatchObject({
        Name: 'renamed',
        FaceUrl: 'https://x/y.png',
        Introduction: null,
        UpdatedAt: '2026-11-22T08:00:02.000Z',
      })
      const anonymous: Effect = {
        kind: 'changeTopicInfo',
        groupId: '@TGS#odd',
        topicId: undefined,
        profile: { Name: 'again' },
      }
      expect(await store.record(received('Group.CallbackAfterTopicInfoChanged'), anonymous)).toBe('ignored')
      expect((await store.getTopic(topic(1).TopicId))?.Name).toBe('renamed')
      // U+0000, which no text column holds on PostgreSQL, is kept as U+FFFD on both stores.
      const withNul: Effect = {
        kind: 'changeTopicInfo',
        groupId: '@TGS#odd',
        topicId: topic(1).TopicId,
        profile: { Introduction: 'a\0b' },
      }
      expect(await store.record(received('Group.CallbackAfterTopicInfoChanged'), withNul)).toBe('stored')
      expect((await store.getTopic(topic(1).TopicId))?.Introduction).toBe('a\uFFFDb')
    })

    it('applies reconciliation: inserts, updates, deletes, each logged with source reconcile', async () => {
      await Promise.all([1, 3].map((n) => store.record(received(), create(n))))
      const profile = { Name: 'from IM', Introduction: 'intro', Notification: null, FaceUrl: null, CustomString: 'c' }
      const listedAt = (clock += 1000)
      const applied = await store.applyMirrorChanges(
        [
          { kind: 'insert', groupId: '@TGS#odd', topicId: topic(9).TopicId, profile, reason: 'IM lists it' },
          { kind: 'update', groupId: '@TGS#odd', topicId: topic(1).TopicId, profile, reason: 'renamed' },
          { kind: 'delete', groupId: '@TGS#odd', topicId: topic(3).TopicId, reason: 'gone' },
        ],
        (clock += 1000),
        listedAt,
      )
      expect(applied.map((c) => c.kind)).toEqual(['insert', 'update', 'delete'])
      expect(await store.getTopic(topic(9).TopicId)).toMatchObject({
        Name: 'from IM',
        Introduction: 'intro',
        CustomString: 'c',
        Type: 'Community',
        Owner_Account: null,
        Operator_Account: null,
        UserDefinedDataList: null,
        DeletedAt: null,
      })
      expect(await store.getTopic(topic(1).TopicId)).toMatchObject({
        Name: 'from IM',
        Owner_Account: 'leckie',
        UpdatedAt: '2026-11-22T08:00:04.000Z',
      })
      expect((await store.getTopic(topic(3).TopicId))?.DeletedAt).toBe('2026-11-22T08:00:04.000Z')
      const events = (await store.listEvents({ limit: 10, after: 0 })).items.filter((e) => e.Source === 'reconcile')
      expect(events.map((e) => [e.CallbackCommand, e.Query.Change, e.Query.TopicId, e.Reason])).toEqual([
        ['Reconcile', 'insert', topic(9).TopicId, 'IM lists it'],
        ['Reconcile', 'update', topic(1).TopicId, 'renamed'],
        ['Reconcile', 'delete', topic(3).TopicId, 'gone'],
      ])
      // The create callback of a topic reconciliation inserted fills in what only the callback knows.
      expect(await store.record(received(), create(9))).toBe('stored')
      expect(await store.getTopic(topic(9).TopicId)).toMatchObject({
        Name: 'from IM',
        Owner_Account: 'leckie',
        ClientIP: '10.0.0.1',
      })
      expect(await store.record(received(), create(9))).toBe('duplicate')
    })

    it('never lets reconciliation delete a topic that changed after IM was read', async () => {
      const listedAt = clock
      await store.record(received(), create(1))
      const applied = await store.applyMirrorChanges(
        [{ kind: 'delete', groupId: '@TGS#odd', topicId: topic(1).TopicId, reason: 'gone' }],
        (clock += 1000),
        listedAt,
      )
      expect(applied).toEqual([])
      expect((await store.getTopic(topic(1).TopicId))?.DeletedAt).toBeNull()
    })

    it('gives its lease to one holder at a time, until it runs out or is released', async () => {
      const other = await database.open()
      try {
        expect(await store.acquireLease('reconcile', 'a', clock, 60_000)).toBe(true)
        expect(await other.acquireLease('reconcile', 'b', clock + 1000, 60_000)).toBe(false)
        expect(await store.acquireLease('reconcile', 'a', clock + 2000, 60_000)).toBe(true)
        expect(await other.acquireLease('reconcile', 'b', clock + 62_001, 60_000)).toBe(true)
        expect(await store.acquireLease('reconcile', 'a', clock + 62_002, 60_000)).toBe(false)
        await other.releaseLease('reconcile', 'b')
        expect(await store.acquireLease('reconcile', 'a', clock + 62_003, 60_000)).toBe(true)
      } finally {
        await other.close()
      }
    })

    it('logs every callback with its outcome, query and raw body', async () => {
      const raw = new Uint8Array([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x31, 0x7d]) // {"a":1}
      await store.record(received('Group.CallbackAfterCreateTopic', raw), create(1))
      await store.record(received('Group.CallbackBeforeCreateTopic'), { kind: 'ignore' })
      await store.record(received('Group.CallbackAfterCreateTopic', 'nope'), {
        kind: 'reject',
        reason: 'The body is not valid JSON',
      })
      const { items, next } = await store.listEvents({ limit: 10, after: 0 })
      expect(next).toBeNull()
      expect(items.map((e) => [e.CallbackCommand, e.Outcome, e.Reason, e.Body])).toEqual([
        ['Group.CallbackAfterCreateTopic', 'stored', null, '{"a":1}'],
        ['Group.CallbackBeforeCreateTopic', 'ignored', null, '{}'],
        ['Group.CallbackAfterCreateTopic', 'rejected', 'The body is not valid JSON', 'nope'],
      ])
      expect(items[0]).toMatchObject({ ReceivedAt: '2026-11-22T08:00:01.000Z', Query: { ClientIP: '10.0.0.1' } })
      expect(items.map((e) => e.EventId)).toEqual([...items.map((e) => e.EventId)].sort((a, b) => a - b))
    })

    it('keeps the metadata and the size of a callback whose body it is told not to keep', async () => {
      await store.record(
        { ...received('C2C.CallbackAfterSendMsg', '{"MsgBody":"private words"}'), keepBody: false },
        { kind: 'ignore' },
      )
      await store.record({ ...received('Group.CallbackAfterCreateTopic', '{"a":1}'), keepBody: true }, create(1))
      await store.record(received('Group.CallbackAfterCreateTopic', ''), {
        kind: 'reject',
        reason: 'The body is empty',
      })
      const { items } = await store.listEvents({ limit: 10, after: 0 })
      expect(items.map((e) => [e.CallbackCommand, e.Outcome, e.Body, e.BodyBytes])).toEqual([
        ['C2C.CallbackAfterSendMsg', 'ignored', null, 27],
        ['Group.CallbackAfterCreateTopic', 'stored', '{"a":1}', 7],
        // An empty body that was kept is "", not null.
        ['Group.CallbackAfterCreateTopic', 'rejected', '', 0],
      ])
      expect(items[0]!.Query).toMatchObject({ CallbackCommand: 'C2C.CallbackAfterSendMsg', ClientIP: '10.0.0.1' })
    })

    it('prunes events older than the cutoff in steps, keeping unresolved rejected ones unless told', async () => {
      // Ten events a second apart (T0+1 s … T0+10 s): 2 and 5 rejected, 5 then resolved by replay.
      for (let n = 1; n <= 10; n++) {
        await store.record(received(), n === 2 || n === 5 ? { kind: 'reject', reason: 'an old bug' } : create(n))
      }
      const rejected = await store.listRejected(0, 10)
      expect(await store.replay(rejected[1]!.id, create(5), T0)).toBe('stored')
      const ids = async () =>
        (await store.listEvents({ limit: 100, after: 0 })).items.map((e) => e.EventId - rejected[0]!.id + 2)

      // Before T0+7.5 s: events 1-7 are old. Steps of 3 read 1-3, 4-6, 7-9 (full, with an old one, so
      // one more step), then 10, where nothing is old.
      const before = T0 + 7_500
      const steps = []
      for (let after = 0, more = true; more; ) {
        const step = await store.pruneEvents({ before, after, limit: 3, includeRejected: false })
        steps.push(step.deleted)
        ;({ last: after, more } = step)
      }
      expect(steps).toEqual([2, 3, 1, 0])
      expect(await ids()).toEqual([2, 8, 9, 10])
      // The topics themselves are not touched.
      expect((await store.listTopics({ limit: 100, after: 0 })).items).toHaveLength(9)

      // Told to, it prunes the rejected one too; a cutoff before everything deletes nothing.
      expect(await store.pruneEvents({ before: T0, after: 0, limit: 100, includeRejected: true })).toMatchObject({
        deleted: 0,
        more: false,
      })
      expect(await store.pruneEvents({ before, after: 0, limit: 100, includeRejected: true })).toMatchObject({
        deleted: 1,
      })
      expect(await ids()).toEqual([8, 9, 10])
      // New callbacks go on being logged after pruning.
      await store.record(received(), create(11))
      expect(await ids()).toEqual([8, 9, 10, 11])
    })

    it('keeps a raw body byte for byte, even bytes that are not UTF-8', async () => {
      const raw = new Uint8Array([0xff, 0x00, 0xfe, 0x7b])
      await store.record(received('X', raw), { kind: 'reject', reason: 'The body is not valid UTF-8' })
      const [event] = await store.listRejected(0, 10)
      expect(Array.from(event!.body)).toEqual([0xff, 0x00, 0xfe, 0x7b])
    })

    it('logs a command or reason holding U+0000 without failing', async () => {
      const outcome = await store.record(received('Bad\u0000Command'), { kind: 'reject', reason: 'reason \u0000' })
      expect(outcome).toBe('rejected')
      expect((await store.listEvents({ limit: 10, after: 0 })).items[0]?.CallbackCommand).toBe('Bad\uFFFDCommand')
    })

    it('pages topics in a stable order, filtered by group', async () => {
      for (let n = 1; n <= 7; n++) await store.record(received(), create(n))
      const seen: string[] = []
      let after = 0
      for (;;) {
        const page = await store.listTopics({ limit: 3, after })
        seen.push(...page.items.map((t) => t.TopicId))
        if (page.next === null) break
        after = page.next
      }
      expect(seen).toEqual([1, 2, 3, 4, 5, 6, 7].map((n) => topic(n).TopicId))
      const odd = await store.listTopics({ groupId: '@TGS#odd', limit: 10, after: 0 })
      expect(odd.items.map((t) => t.Name)).toEqual(['topic 1', 'topic 3', 'topic 5', 'topic 7'])
      expect(odd.next).toBeNull()
    })

    it('pages and filters events by command and outcome', async () => {
      for (let n = 1; n <= 5; n++) await store.record(received(), create(n))
      await store.record(received(), create(1))
      await store.record(received('Group.CallbackAfterCreateGroup'), { kind: 'ignore' })
      const first = await store.listEvents({ command: 'Group.CallbackAfterCreateTopic', limit: 4, after: 0 })
      expect(first.items).toHaveLength(4)
      expect(first.next).not.toBeNull()
      const rest = await store.listEvents({ command: 'Group.CallbackAfterCreateTopic', limit: 4, after: first.next! })
      expect(rest.items.map((e) => e.Outcome)).toEqual(['stored', 'duplicate'])
      expect(rest.next).toBeNull()
      const dup = await store.listEvents({ outcome: 'duplicate', limit: 10, after: 0 })
      expect(dup.items).toHaveLength(1)
      const ignored = await store.listEvents({
        command: 'Group.CallbackAfterCreateGroup',
        outcome: 'ignored',
        limit: 10,
        after: 0,
      })
      expect(ignored.items).toHaveLength(1)
    })

    it('replays a rejected event once: the effect applies and the outcome changes', async () => {
      await store.record(received(), { kind: 'reject', reason: 'an old bug' })
      const [event] = await store.listRejected(0, 10)
      expect(await store.replay(event!.id, create(3), T0 + 60_000)).toBe('stored')
      expect(await store.getTopic(topic(3).TopicId)).toMatchObject({
        Name: 'topic 3',
        ReceivedAt: '2026-11-22T08:00:01.000Z',
      })
      expect(await store.listRejected(0, 10)).toEqual([])
      const [after] = (await store.listEvents({ limit: 10, after: 0 })).items
      expect(after).toMatchObject({ Outcome: 'stored', Reason: null })
      expect(await store.replay(event!.id, create(4), T0)).toBe('stored')
      expect(await store.getTopic(topic(4).TopicId)).toBeUndefined()
    })

    it('finds nothing for an unknown topic', async () => {
      expect(await store.getTopic('@TGS#_nope')).toBeUndefined()
    })

    it('commits writes still pending when it is closed', async () => {
      const pending = Array.from({ length: 20 }, (_, n) => store.record(received(), create(n)))
      await store.close()
      expect(new Set(await Promise.all(pending))).toEqual(new Set(['stored']))
      store = await database.open()
      expect((await store.listTopics({ limit: 500, after: 0 })).items).toHaveLength(20)
    })

    /** The whole feed after `after`, through every page of `limit`. */
    async function feed(after = 0, limit = 500) {
      const items = []
      for (;;) {
        const page = await store.listChanges({ after, limit })
        items.push(...page.items)
        after = page.last
        if (!page.hasMore) return { items, last: after }
      }
    }
    const brief = (c: { position: number; kind: string; topic: { TopicId: string } }) => [
      c.position,
      c.kind,
      c.topic.TopicId.split('_').pop(),
    ]

    it('gives every change to a topic the next position, whatever made it, and each topic once at its latest', async () => {
      expect(await store.lastPosition()).toBe(0)
      expect(await feed()).toEqual({ items: [], last: 0 })
      await store.record(received(), create(1)) // 1
      await store.record(received(), create(2)) // 2
      expect(await store.record(received(), create(1))).toBe('duplicate') // no change, no position
      expect(await store.lastPosition()).toBe(2)
      await store.record(received(), {
        kind: 'changeTopicInfo',
        groupId: '@TGS#odd',
        topicId: topic(1).TopicId,
        profile: { Name: 'renamed' },
      }) // 3
      await store.record(received(), { kind: 'destroyTopics', groupId: '@TGS#even', topicIds: [topic(2).TopicId] }) // 4
      await store.applyMirrorChanges(
        [
          {
            kind: 'insert',
            groupId: '@TGS#odd',
            topicId: topic(3).TopicId,
            profile: { Name: 'from IM', Introduction: null, Notification: null, FaceUrl: null, CustomString: null },
            reason: 'r',
          },
        ],
        clock,
        clock,
      ) // 5
      await store.record(received(), create(3)) // 6: the callback fills in what reconciliation lacked
      await store.record(received(), { kind: 'destroyGroup', groupId: '@TGS#odd' }) // 7, 8 (topics 1 and 3)
      await store.record(received(), { kind: 'reject', reason: 'later fixed' })
      const [rejected] = await store.listRejected(0, 10)
      await store.replay(rejected!.id, create(4), clock) // 9
      expect(await store.lastPosition()).toBe(9)
      const all = await feed()
      expect(all.items.map(brief)).toEqual([
        [4, 'deleted', '2'],
        [7, 'deleted', '1'],
        [8, 'deleted', '3'],
        [9, 'created', '4'],
      ])
      expect(all.last).toBe(9)
      expect(all.items[1]!.topic).toMatchObject({ Name: 'renamed', DeletedAt: expect.any(String) })
      // IM's profile wins for the name; the callback filled in the owner that reconciliation lacked.
      expect(all.items[2]!.topic).toMatchObject({ Name: 'from IM', Owner_Account: 'leckie' })
      // Read after a position, a topic created before it is "updated"; one created after it, "created".
      await store.record(received(), create(6)) // 10
      await store.record(received(), {
        kind: 'changeTopicInfo',
        groupId: '@TGS#even',
        topicId: topic(4).TopicId,
        profile: { Name: 'four' },
      }) // 11
      expect((await feed(9)).items.map(brief)).toEqual([
        [10, 'created', '6'],
        [11, 'updated', '4'],
      ])
      expect((await feed(10)).items.map(brief)).toEqual([[11, 'updated', '4']])
      expect(await feed(11)).toEqual({ items: [], last: 11 })
    })

    it('pages the feed with hasMore and a cursor that is the last position', async () => {
      for (let n = 1; n <= 5; n++) await store.record(received(), create(n))
      const first = await store.listChanges({ after: 0, limit: 2 })
      expect(first.items.map((c) => c.position)).toEqual([1, 2])
      expect(first).toMatchObject({ last: 2, hasMore: true })
      const last = await store.listChanges({ after: 4, limit: 2 })
      expect(last).toMatchObject({ last: 5, hasMore: false })
      expect((await feed(0, 2)).items.map((c) => c.position)).toEqual([1, 2, 3, 4, 5])
    })

    it('numbers a batch of writes committed together in one transaction', async () => {
      const told: Array<number | undefined> = []
      const unwatch = store.watchChanges((position) => told.push(position))
      const outcomes = await Promise.all(Array.from({ length: 30 }, (_, n) => store.record(received(), create(n))))
      unwatch()
      expect(new Set(outcomes)).toEqual(new Set(['stored']))
      // One commit for the 30, not a failed batch written again one by one. PostgreSQL's listener may
      // tell the same position a second time, and an unnumbered wake-up when it starts listening.
      expect(new Set(told.filter((position) => position !== undefined))).toEqual(new Set([30]))
      const { items } = await feed()
      expect(items.map((c) => c.position)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1))
      expect(new Set(items.map((c) => c.topic.TopicId)).size).toBe(30)
    })

    it('tells its watchers of each commit that changed topics, with the last position', async () => {
      const told: Array<number | undefined> = []
      const unwatch = store.watchChanges((position) => told.push(position))
      await store.record(received(), create(1))
      await store.record(received(), create(1)) // a duplicate changes nothing: not told
      await store.record(received(), create(2))
      unwatch()
      await store.record(received(), create(3))
      // PostgreSQL also tells what NOTIFY announces (its own commits included, a moment later): each
      // commit is told, and nothing after unwatch.
      expect(told).toContain(1)
      expect(told).toContain(2)
      expect(told).not.toContain(3)
    })

    it('never shows a reader a position below one it has seen, while two stores write at once', async () => {
      const other = await database.open()
      try {
        const writes: Array<Promise<unknown>> = []
        const seen: number[] = []
        let after = 0
        let written = false
        let reads = 0
        const read = async () => {
          const page = await store.listChanges({ after, limit: 50 })
          seen.push(...page.items.map((c) => c.position))
          after = page.last
          reads++
          return page.hasMore
        }
        const reading = (async () => {
          while (!written) {
            await read()
            await new Promise((r) => setTimeout(r, 1))
          }
          while (await read());
        })()
        for (let n = 0; n < 300; n++) {
          writes.push(store.record(received(), create(n)), other.record(received(), create(1000 + n)))
          if (n % 25 === 0) await Promise.all(writes)
        }
        await Promise.all(writes)
        written = true
        await reading
        expect(reads).toBeGreaterThan(5)
        // The reader saw positions only in increasing order, and in the end every topic.
        expect(seen).toEqual([...seen].sort((a, b) => a - b))
        expect(new Set(seen).size).toBe(seen.length)
        const { items } = await feed()
        expect(items).toHaveLength(600)
        expect(new Set(seen)).toEqual(new Set(items.map((c) => c.position)))
      } finally {
        await other.close()
      }
    })

    it('answers a ping', async () => {
      await expect(store.ping()).resolves.toBeUndefined()
    })
  })
}

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MAX_COMMAND_LENGTH, MAX_ID_LENGTH, MAX_TEXT_LENGTH } from '../../src/contract/limits.ts'
import { openPostgresStore, openSqliteStore, type Store } from '../../src/store/index.ts'
import { sampleAfterCreateTopic } from '../fixtures/index.ts'
import { answerOf, bearer, callbackUrl, makeApp, post, type TestApp } from '../helpers/app.ts'
import { createThrowawayDatabase, postgresAvailable, type ThrowawayDatabase } from '../helpers/postgres.ts'

// The limits of src/contract/limits.ts, on both stores: a value that breaks one is refused with a 400
// that names the field and is logged as rejected, before it reaches the database, so that it never
// fails the batch it arrived with; and read API inputs that no row can hold answer 404 or empty.

const topic = (n: number | string, fields: Record<string, unknown> = {}) => ({
  ...sampleAfterCreateTopic,
  TopicId: `@TGS#_g@TOPIC#_${n}`,
  Name: `topic ${n}`,
  ...fields,
})
const destroy = (fields: Record<string, unknown>) => ({
  CallbackCommand: 'Group.CallbackAfterTopicDestroyed',
  GroupId: '@TGS#_g',
  Type: 'Community',
  ...fields,
})
const ROUNDS = 20
const LONE_HIGH = '\uD800'
const LONE_LOW = '\uDC00'

interface Poison {
  name: string
  url?: string
  body: Record<string, unknown>
  code: number
  info: string | RegExp
}

/** One bad callback per kind of fault, each with the refusal it must get. */
const poisons: Poison[] = [
  {
    name: 'a 3,000-character TopicId',
    body: topic('x'.repeat(3000)),
    code: 4012,
    info: `TopicId must be at most ${MAX_ID_LENGTH} characters, got 3015`,
  },
  {
    name: 'a 3,000-character GroupId',
    body: topic('g1', { GroupId: 'g'.repeat(3000) }),
    code: 4012,
    info: `GroupId must be at most ${MAX_ID_LENGTH} characters, got 3000`,
  },
  { name: 'an empty TopicId', body: topic('', { TopicId: '' }), code: 4012, info: 'TopicId must not be empty' },
  {
    name: 'a Name past 4,096 characters',
    body: topic('n1', { Name: 'n'.repeat(MAX_TEXT_LENGTH + 1) }),
    code: 4012,
    info: `Name must be at most ${MAX_TEXT_LENGTH} characters, got ${MAX_TEXT_LENGTH + 1}`,
  },
  {
    name: 'U+0000 in Owner_Account',
    body: topic('o1', { Owner_Account: 'a\u0000b' }),
    code: 4012,
    info: 'Owner_Account must not contain U+0000 (NUL)',
  },
  {
    name: 'a lone surrogate in TopicId',
    body: topic(`s${LONE_HIGH}`),
    code: 4012,
    info: /TopicId must not contain a lone surrogate/,
  },
  {
    name: 'U+0000 in a custom field',
    body: topic('u1', { UserDefinedDataList: [{ Key: 'k', Value: 'v\u0000' }] }),
    code: 4012,
    info: 'UserDefinedDataList[0].Value must not contain U+0000 (NUL)',
  },
  {
    name: 'U+0000 in the ClientIP query parameter',
    url: callbackUrl({ extra: { ClientIP: '127.0.0.1\u0000' } }),
    body: topic('c1'),
    code: 4015,
    info: 'The ClientIP query parameter must not contain U+0000 (NUL)',
  },
  {
    name: 'U+0000 in the OptPlatform query parameter',
    url: callbackUrl({ extra: { OptPlatform: 'Web\u0000' } }),
    body: topic('p1'),
    code: 4015,
    info: 'The OptPlatform query parameter must not contain U+0000 (NUL)',
  },
  {
    name: 'a 600-character ClientIP',
    url: callbackUrl({ extra: { ClientIP: '1'.repeat(600) } }),
    body: topic('c2'),
    code: 4015,
    info: `The ClientIP query parameter must be at most ${MAX_ID_LENGTH} characters, got 600`,
  },
  {
    name: 'a 600-character ClientIP on a command the service does not act on',
    url: callbackUrl({ command: 'Group.CallbackAfterSendMsg', extra: { ClientIP: '1'.repeat(600) } }),
    body: { CallbackCommand: 'Group.CallbackAfterSendMsg' },
    code: 4015,
    info: `The ClientIP query parameter must be at most ${MAX_ID_LENGTH} characters, got 600`,
  },
  {
    name: 'U+0000 in an item of TopicIdList',
    url: callbackUrl({ command: 'Group.CallbackAfterTopicDestroyed' }),
    body: destroy({ TopicIdList: ['ok', 'a\u0000b'] }),
    code: 4012,
    info: 'TopicIdList[1] must not contain U+0000 (NUL)',
  },
  {
    name: 'U+0000 in a TopicIdList given as a string',
    url: callbackUrl({ command: 'Group.CallbackAfterTopicDestroyed' }),
    body: destroy({ TopicIdList: 'a\u0000b' }),
    code: 4012,
    info: 'TopicIdList must not contain U+0000 (NUL)',
  },
  {
    name: 'a CallbackCommand past 128 characters',
    url: callbackUrl({ command: `Group.${'C'.repeat(200)}` }),
    body: { CallbackCommand: `Group.${'C'.repeat(200)}` },
    code: 4015,
    info: `The CallbackCommand query parameter must be at most ${MAX_COMMAND_LENGTH} characters, got 206`,
  },
]

function suite(kind: 'sqlite' | 'postgres', open: () => Promise<{ store: Store; done(): Promise<void> }>) {
  describe(`limits on ${kind}`, () => {
    let t: TestApp
    let done: () => Promise<void>
    beforeAll(async () => {
      const opened = await open()
      done = opened.done
      t = await makeApp({}, { store: opened.store })
    })
    afterAll(async () => {
      await t.store.close()
      await done()
    })
    const get = async (path: string) => {
      const res = await t.app.request(path, { headers: bearer })
      return { status: res.status, body: (await res.json()) as any }
    }

    it('fails each poisoned callback alone, with a 400 that names the field, while its batch neighbours commit', async () => {
      const good = Array.from({ length: 30 }, (_, i) => topic(`good-${i}`))
      // All at once, so that they share group-commit batches with the poisoned ones.
      const answers = await Promise.all([
        ...good.map((body) => Promise.resolve(post(t.app, callbackUrl(), body)).then(answerOf)),
        ...poisons.map((p) => Promise.resolve(post(t.app, p.url ?? callbackUrl(), p.body)).then(answerOf)),
      ])
      const goodAnswers = answers.slice(0, good.length)
      expect(goodAnswers.map((a) => a.status)).toEqual(Array(good.length).fill(200))
      poisons.forEach((p, i) => {
        const { status, body } = answers[good.length + i]!
        expect({ poison: p.name, status, code: body.ErrorCode }).toEqual({ poison: p.name, status: 400, code: p.code })
        expect(body.ErrorInfo, p.name).toMatch(p.info)
      })
      for (const body of good) expect((await get(`/topics/${encodeURIComponent(body.TopicId)}`)).status).toBe(200)
      // Every poisoned callback is in the event log as rejected, with the refusal as its reason.
      const rejected = (await t.store.listEvents({ outcome: 'rejected', limit: 100, after: 0 })).items
      expect(rejected).toHaveLength(poisons.length)
      expect(new Set(rejected.map((e) => e.Reason))).toEqual(
        new Set(answers.slice(good.length).map((a) => a.body.ErrorInfo)),
      )
    })

    it('stores a TopicId of exactly 512 characters, four UTF-8 bytes each, and finds it by path and by query', async () => {
      const id = '\u{1F600}'.repeat(MAX_ID_LENGTH)
      expect((await answerOf(await post(t.app, callbackUrl(), topic('edge', { TopicId: id })))).status).toBe(200)
      expect((await get(`/topics/${encodeURIComponent(id)}`)).body.TopicId).toBe(id)
      expect((await get(`/topics?TopicId=${encodeURIComponent(id)}`)).body.items.map((i: any) => i.TopicId)).toEqual([
        id,
      ])
      const over = await answerOf(await post(t.app, callbackUrl(), topic('edge', { TopicId: `${id}x` })))
      expect(over.body.ErrorInfo).toMatch(
        `TopicId must be at most ${MAX_ID_LENGTH} characters, got ${MAX_ID_LENGTH + 1}`,
      )
    })

    it('refuses TopicIds that differ only in a lone surrogate, rather than storing them as one row', async () => {
      const before = (await t.store.listTopics({ limit: 500, after: 0 })).items.length
      for (const end of [LONE_HIGH, LONE_LOW, '\uDBFF']) {
        const { status, body } = await answerOf(await post(t.app, callbackUrl(), topic(`lone-${end}`)))
        expect(status).toBe(400)
        expect(body.ErrorInfo).toMatch('TopicId must not contain a lone surrogate')
      }
      // A surrogate pair is a character like any other.
      expect((await answerOf(await post(t.app, callbackUrl(), topic('pair-\uD83D\uDE00')))).status).toBe(200)
      expect((await t.store.listTopics({ limit: 500, after: 0 })).items.length).toBe(before + 1)
    })

    it('answers read API inputs that no row can hold with 404 or an empty page, not 503', async () => {
      expect((await get('/topics/a%00b')).status).toBe(404)
      expect((await get(`/topics/${'x'.repeat(3000)}`)).status).toBe(404)
      for (const path of [
        '/topics?GroupId=%00',
        `/topics?GroupId=${'g'.repeat(3000)}`,
        '/topics?TopicId=a%00b',
        '/events?command=a%00',
        `/events?command=${'c'.repeat(3000)}`,
      ]) {
        const { status, body } = await get(path)
        expect({ path, status, items: body.items }).toEqual({ path, status: 200, items: [] })
      }
    })

    it('looks topics up by ?TopicId=, repeated, in insertion order, skipping unknown IDs', async () => {
      for (const n of ['q1', 'q2', 'q3']) await post(t.app, callbackUrl(), topic(n))
      const ids = ['q3', 'nope', 'q1'].map((n) => `@TGS#_g@TOPIC#_${n}`)
      const { status, body } = await get(`/topics?${ids.map((id) => `TopicId=${encodeURIComponent(id)}`).join('&')}`)
      expect(status).toBe(200)
      expect(body.items.map((i: any) => i.Name)).toEqual(['topic q1', 'topic q3'])
      const tooMany = await get(`/topics?${Array.from({ length: 101 }, (_, i) => `TopicId=t${i}`).join('&')}`)
      expect(tooMany.status).toBe(400)
      expect(tooMany.body.ErrorInfo).toMatch('TopicId may be given at most 100 times')
    })
  })
}

suite('sqlite', async () => ({ store: await openSqliteStore(':memory:'), done: async () => {} }))

describe.skipIf(!postgresAvailable)('on PostgreSQL (skipped only without a server)', () => {
  suite('postgres', async () => {
    const db = await createThrowawayDatabase()
    return { store: await openPostgresStore(db.url), done: () => db.drop() }
  })

  describe('two replicas writing the same topics in opposite orders', () => {
    let db: ThrowawayDatabase
    let a: TestApp
    let b: TestApp
    beforeAll(async () => {
      db = await createThrowawayDatabase()
      a = await makeApp({}, { store: await openPostgresStore(db.url) })
      b = await makeApp({}, { store: await openPostgresStore(db.url) })
    })
    afterAll(async () => {
      await a.store.close()
      await b.store.close()
      await db.drop()
    })

    it('never deadlocks: 150 TopicIds ascending to one and descending to the other, every answer 200', async () => {
      // Enough rounds that, without a stable lock order and the retry, a deadlock happens (it did in
      // every run: 150 answers of 503 within 20 rounds).
      for (let round = 0; round < ROUNDS; round++) {
        const ids = Array.from({ length: 150 }, (_, i) => `r${round}-${String(i).padStart(3, '0')}`)
        const answers = await Promise.all([
          ...ids.map((id) => Promise.resolve(post(a.app, callbackUrl(), topic(id))).then((r) => r.status)),
          ...[...ids]
            .reverse()
            .map((id) => Promise.resolve(post(b.app, callbackUrl(), topic(id))).then((r) => r.status)),
        ])
        expect(answers.filter((s) => s !== 200)).toEqual([])
        const stored = await a.store.listTopics({
          topicIds: ids.map((id) => `@TGS#_g@TOPIC#_${id}`),
          limit: 500,
          after: 0,
        })
        expect(stored.items).toHaveLength(150)
      }
      // Each topic was stored once: the other replica's delivery of it is a duplicate.
      const outcomes: string[] = []
      for (let after = 0; ; ) {
        const page = await a.store.listEvents({ limit: 500, after })
        outcomes.push(...page.items.map((e) => e.Outcome))
        if (page.next === null) break
        after = page.next
      }
      expect(outcomes.filter((o) => o === 'stored')).toHaveLength(150 * ROUNDS)
      expect(outcomes.filter((o) => o === 'duplicate')).toHaveLength(150 * ROUNDS)
    })
  })
})

import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import type { Topic, TopicChange } from '../../src/contract/read-api.ts'
import { openStore } from '../../src/store/index.ts'
import { sampleTopicDestroyed, topicBody } from '../fixtures/index.ts'
import { API_TOKEN } from '../helpers/app.ts'
import { createThrowawayDatabase, postgresAvailable } from '../helpers/postgres.ts'
import { type RunningService, sendSigned, startService } from '../helpers/service.ts'
import { readSse } from '../helpers/sse.ts'

// The acceptance test: replicas write topics for 10 s (creates, re-deliveries, destroys) while
// one reader follows GET /changes by cursor and another follows GET /changes/stream; at the end both
// hold exactly what a fresh full read of the database holds: nothing missed, nothing twice, deletes
// included. With two replicas on PostgreSQL, the writes commit out of order across them, which is
// what would make a reader skip a change if positions were handed out at insert time.

const scratch = mkdtempSync(join(tmpdir(), 'imsync-feed-'))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

const WRITE_MS = 10_000
const auth = { authorization: `Bearer ${API_TOKEN}` }
const GROUP = '@TGS#_@TGS#cQVLVHIM62CJ'

/** A copy of the topics built from the feed, with a check that positions only ever go up. */
class Copy {
  readonly topics = new Map<string, Topic>()
  last = 0
  delivered = 0
  outOfOrder = 0
  apply(change: TopicChange) {
    if (change.position <= this.last) this.outOfOrder++
    this.last = change.position
    this.delivered++
    this.topics.set(change.topic.TopicId, change.topic)
  }
}

/** Follows GET /changes by cursor until `stop()` and then until it has caught up with `target`. */
function followByCursor(url: string) {
  const copy = new Copy()
  let stopAt: number | undefined
  const done = (async () => {
    let after = '0'
    for (;;) {
      const res = await fetch(`${url}/changes?after=${after}&limit=200`, { headers: auth })
      expect(res.status).toBe(200)
      const page = (await res.json()) as { items: TopicChange[]; nextCursor: string; hasMore: boolean }
      for (const c of page.items) copy.apply(c)
      after = page.nextCursor
      if (stopAt !== undefined && copy.last >= stopAt && !page.hasMore) return
      if (!page.hasMore) await new Promise((r) => setTimeout(r, 20))
    }
  })()
  return { copy, done, finish: (target: number) => ((stopAt = target), done) }
}

/** Follows GET /changes/stream until it has seen position `target`. */
function followStream(url: string) {
  const copy = new Copy()
  const controller = new AbortController()
  let stopAt: number | undefined
  let reached: () => void = () => {}
  const reachedTarget = new Promise<void>((resolve) => (reached = resolve))
  const done = (async () => {
    const res = await fetch(`${url}/changes/stream`, { headers: auth, signal: controller.signal })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8')
    try {
      for await (const event of readSse(res.body!)) {
        if (event.event !== 'change') continue
        const change = JSON.parse(event.data) as TopicChange
        expect(event.id).toBe(String(change.position))
        copy.apply(change)
        if (stopAt !== undefined && copy.last >= stopAt) reached()
      }
    } catch (error) {
      if (!controller.signal.aborted) throw error
    }
  })()
  return {
    copy,
    finish: async (target: number) => {
      stopAt = target
      if (copy.last >= target) reached()
      await Promise.race([
        reachedTarget,
        done,
        new Promise((_, reject) =>
          setTimeout(() => reject(new Error(`the stream did not reach ${target} in 20 s (at ${copy.last})`)), 20_000),
        ),
      ])
      controller.abort()
    },
  }
}

/** Writers that post to the replicas in turn for `ms`: new topics, re-deliveries and destroys. */
async function write(replicas: RunningService[], ms: number, prefix: string) {
  const acknowledged = new Set<string>()
  const destroyed = new Set<string>()
  const answers = new Map<number, number>()
  const end = Date.now() + ms
  let next = 0
  const writer = async (w: number) => {
    for (let i = 0; Date.now() < end; i++) {
      const replica = replicas[(w + i) % replicas.length]!
      const roll = i % 10
      let status: number
      if (roll < 7 || next < 20) {
        const n = next++
        const topicId = `${GROUP}@TOPIC#_${prefix}${n}`
        ;({ status } = await sendSigned(replica.url, topicBody(n, { TopicId: topicId, Name: `topic ${n}` })))
        if (status === 200) acknowledged.add(topicId)
      } else if (roll < 9) {
        // A re-delivery of a recent topic, often to the other replica.
        const n = Math.max(0, next - 1 - ((i * 7) % 20))
        ;({ status } = await sendSigned(
          replica.url,
          topicBody(n, { TopicId: `${GROUP}@TOPIC#_${prefix}${n}`, Name: `topic ${n}` }),
        ))
      } else {
        const n = Math.max(0, next - 1 - ((i * 3) % 30))
        const topicId = `${GROUP}@TOPIC#_${prefix}${n}`
        ;({ status } = await sendSigned(replica.url, {
          ...sampleTopicDestroyed,
          GroupId: GROUP,
          TopicIdList: [topicId],
        }))
        if (status === 200) destroyed.add(topicId)
      }
      answers.set(status, (answers.get(status) ?? 0) + 1)
    }
  }
  await Promise.all(Array.from({ length: 12 }, (_, w) => writer(w)))
  return { acknowledged, destroyed, answers }
}

async function fullRead(databaseUrl: string) {
  const store = await openStore(databaseUrl)
  try {
    const topics = new Map<string, Topic>()
    let after = 0
    for (;;) {
      const page = await store.listChanges({ after, limit: 500 })
      for (const change of page.items) topics.set(change.topic.TopicId, change.topic)
      after = page.last
      if (!page.hasMore) break
    }
    expect(after).toBe(await store.lastPosition())
    return { topics, last: after }
  } finally {
    await store.close()
  }
}

const setups = [
  { name: 'SQLite, one instance', replicas: 1, postgres: false },
  { name: 'PostgreSQL, two replicas', replicas: 2, postgres: true },
] as const

for (const setup of setups) {
  describe.skipIf(setup.postgres && !postgresAvailable)(
    `following the feed while ${setup.name} write (PostgreSQL skipped only without a server)`,
    () => {
      const services: RunningService[] = []
      let drop = async () => {}
      afterEach(async () => {
        await Promise.all(services.splice(0).map((s) => s.stop()))
        await drop()
      })

      it('ends with both readers holding exactly the database: 0 missed, 0 twice, deletes included', {
        timeout: 90_000,
      }, async () => {
        let databaseUrl = `file:${join(mkdtempSync(join(scratch, 'db-')), 'feed.db')}`
        if (setup.postgres) {
          const db = await createThrowawayDatabase()
          databaseUrl = db.url
          drop = db.drop
        }
        for (let i = 0; i < setup.replicas; i++)
          services.push(await startService({ env: { DATABASE_URL: databaseUrl, LOG_LEVEL: 'info' } }))
        const byCursor = followByCursor(services[0]!.url)
        const byStream = followStream(services[services.length - 1]!.url)

        const { acknowledged, destroyed, answers } = await write(services, WRITE_MS, setup.postgres ? 'pg' : 'lite')
        const truth = await fullRead(databaseUrl)
        await byCursor.finish(truth.last)
        await byStream.finish(truth.last)

        console.info(
          `${setup.name}: ${acknowledged.size} topics acknowledged, ${destroyed.size} destroyed, ${truth.last} positions; the cursor reader got ${byCursor.copy.delivered} changes, the stream ${byStream.copy.delivered}`,
        )
        // The load was real, and every callback was answered OK.
        expect([...answers.keys()]).toEqual([200])
        expect(acknowledged.size).toBeGreaterThan(300)
        expect(destroyed.size).toBeGreaterThan(10)
        for (const reader of [byCursor.copy, byStream.copy]) {
          expect(reader.outOfOrder).toBe(0)
          expect(reader.last).toBe(truth.last)
          expect(reader.topics.size).toBe(truth.topics.size)
          expect(Object.fromEntries(reader.topics)).toEqual(Object.fromEntries(truth.topics))
        }
        // Nothing acknowledged is missing, and what was destroyed is deleted in the copies too.
        const missing = [...acknowledged].filter((id) => !byStream.copy.topics.has(id))
        expect(missing).toEqual([])
        const stillLive = [...destroyed].filter((id) => byStream.copy.topics.get(id)?.DeletedAt === null)
        expect(stillLive).toEqual([])
      })
    },
  )
}

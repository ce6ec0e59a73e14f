import pg from 'pg'
import { afterEach, describe, expect, it } from 'vitest'
import type { TopicChange } from '../../src/contract/read-api.ts'
import { topicBody } from '../fixtures/index.ts'
import { API_TOKEN } from '../helpers/app.ts'
import { createThrowawayDatabase, postgresAvailable, SERVER_URL, type ThrowawayDatabase } from '../helpers/postgres.ts'
import { type RunningService, sendSigned, startService } from '../helpers/service.ts'
import { readSse } from '../helpers/sse.ts'

// With polling turned down to once a minute, only PostgreSQL's NOTIFY can bring a change committed on
// one replica to a stream open on another within a second: these tests see that it does, and that it
// still does after the listening connection is cut.

describe.skipIf(!postgresAvailable)('changes across replicas on PostgreSQL (skipped only without a server)', () => {
  let db: ThrowawayDatabase
  const services: RunningService[] = []
  afterEach(async () => {
    await Promise.all(services.splice(0).map((s) => s.stop()))
    await db?.drop()
  })

  async function twoReplicas() {
    db = await createThrowawayDatabase()
    const env = { DATABASE_URL: db.url, CHANGES_POLL_MS: '60000', LOG_LEVEL: 'info' }
    services.push(await startService({ env }), await startService({ env }))
    return services as [RunningService, RunningService]
  }

  /** Opens a stream on `service`, with a function that waits for its next change, at most `ms`. */
  async function openStream(service: RunningService) {
    const res = await fetch(`${service.url}/changes/stream`, { headers: { authorization: `Bearer ${API_TOKEN}` } })
    expect(res.status).toBe(200)
    const events = readSse(res.body!)
    return {
      next: async (ms: number) => {
        const started = performance.now()
        const result = await Promise.race([
          events.next(),
          new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no change within ${ms} ms`)), ms)),
        ])
        return { change: JSON.parse(result.value!.data) as TopicChange, ms: performance.now() - started }
      },
      close: () => events.return(undefined),
    }
  }

  it('brings a change committed on one replica to a stream open on the other, by NOTIFY', async () => {
    const [a, b] = await twoReplicas()
    const stream = await openStream(b)
    // Let B's LISTEN connection come up first.
    await new Promise((r) => setTimeout(r, 300))
    for (let i = 0; i < 3; i++) {
      const waiting = stream.next(1000)
      expect((await sendSigned(a.url, topicBody(`notify-${i}`))).status).toBe(200)
      const { change } = await waiting
      expect(change).toMatchObject({ position: i + 1, kind: 'created', topic: { Name: `topic notify-${i}` } })
    }
    await stream.close()
  })

  it('listens again after its connection is cut, and catches up on what it missed meanwhile', async () => {
    const [a, b] = await twoReplicas()
    const stream = await openStream(b)
    await new Promise((r) => setTimeout(r, 300))
    const admin = new pg.Client({ connectionString: SERVER_URL })
    await admin.connect()
    try {
      const cut = await admin.query(
        `select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and query ilike 'listen %'`,
        [db.name],
      )
      // Only B listens: a replica opens its LISTEN connection when its first stream waits.
      expect(cut.rowCount).toBe(1)
    } finally {
      await admin.end()
    }
    // Committed while B has no LISTEN connection: B learns of it when it reconnects.
    const waiting = stream.next(3000)
    expect((await sendSigned(a.url, topicBody('while-cut'))).status).toBe(200)
    expect((await waiting).change.topic.Name).toBe('topic while-cut')
    const again = stream.next(1000)
    expect((await sendSigned(a.url, topicBody('after-cut'))).status).toBe(200)
    expect((await again).change.topic.Name).toBe('topic after-cut')
    // Both replicas lived through it and said so at warn level, not as a crash.
    expect(b.child.exitCode).toBeNull()
    expect(b.logs.some((l) => l.includes('"level":"warn"') && l.includes('terminat'))).toBe(true)
    await stream.close()
  })
})

import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { afterAll, describe, expect, it } from 'vitest'
import { topicBody } from '../fixtures/index.ts'
import { API_TOKEN } from '../helpers/app.ts'
import { createThrowawayDatabase, postgresAvailable, SERVER_URL } from '../helpers/postgres.ts'
import { allTopicIds, type RunningService, sendSigned, startService } from '../helpers/service.ts'

const scratch = mkdtempSync(join(tmpdir(), 'imsync-durability-'))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

/**
 * Sends distinct topics from `workers` loops until `stopWhen` is true, and returns the TopicIds that
 * were acknowledged with IM's OK. Errors (the process dying mid-request) are expected and not acknowledged.
 */
async function load(service: RunningService, { workers = 16, prefix = 'crash' }, stopWhen: (acked: number) => boolean) {
  const acked: string[] = []
  let next = 0
  let done = false
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (!done) {
        const body = topicBody(`${prefix}-${next++}`)
        try {
          const { status, answer } = await sendSigned(service.url, body)
          if (status === 200 && answer.ActionStatus === 'OK') acked.push(body.TopicId)
        } catch {
          done = true
        }
        if (stopWhen(acked.length)) done = true
      }
    }),
  )
  return acked
}

async function crashUnderLoad(
  databaseUrl: string,
  { runtime = 'node', env = {} }: { runtime?: 'node' | 'deno'; env?: Record<string, string> } = {},
) {
  const first = await startService({ runtime, env: { DATABASE_URL: databaseUrl, ...env } })
  let killed = false
  const acked = await load(first, { prefix: 'crash' }, (n) => {
    // SIGKILL with requests in flight: no graceful shutdown, no chance to flush anything.
    if (n >= 300 && !killed) {
      killed = true
      first.child.kill('SIGKILL')
    }
    return false
  })
  expect(await first.exited).toBeNull()
  expect(acked.length).toBeGreaterThanOrEqual(300)
  const second = await startService({ env: { DATABASE_URL: databaseUrl } })
  const stored = await allTopicIds(second.url)
  await second.stop()
  const lost = acked.filter((id) => !stored.has(id))
  expect(lost).toEqual([])
}

describe('a crash under load (SIGKILL)', () => {
  it.each(['node', 'deno'] as const)('loses no acknowledged topic on SQLite (%s)', async (runtime) => {
    await crashUnderLoad(`file:${join(scratch, `crash-${runtime}.db`)}`, { runtime })
  })

  it.each(['node', 'deno'] as const)(
    'stops on SIGTERM under load, having committed what it acknowledged (%s)',
    async (runtime) => {
      const databaseUrl = `file:${join(scratch, `stop-${runtime}.db`)}`
      const service = await startService({ runtime, env: { DATABASE_URL: databaseUrl } })
      const acked = await load(service, { prefix: `stop-${runtime}` }, (n) => n >= 50)
      expect(await service.stop()).toBe(0)
      const again = await startService({ env: { DATABASE_URL: databaseUrl } })
      const stored = await allTopicIds(again.url)
      await again.stop()
      expect(acked.filter((id) => !stored.has(id))).toEqual([])
    },
  )

  it.skipIf(!postgresAvailable)(
    'loses no acknowledged topic on PostgreSQL (skipped only without a server)',
    async () => {
      const db = await createThrowawayDatabase()
      try {
        await crashUnderLoad(db.url)
      } finally {
        await db.drop()
      }
    },
  )
})

describe.skipIf(!postgresAvailable)('PostgreSQL (skipped only when no server is reachable)', () => {
  it.each(['node', 'deno'] as const)(
    'lives through its connections being cut while in use, and loses no acknowledged topic (%s)',
    async (runtime) => {
      const db = await createThrowawayDatabase()
      const service = await startService({ runtime, env: { DATABASE_URL: db.url, LOG_LEVEL: 'info' } })
      const admin = new pg.Client({ connectionString: SERVER_URL })
      await admin.connect()
      try {
        const acknowledged: string[] = []
        let sending = true
        const writers = Array.from({ length: 8 }, async (_, w) => {
          for (let i = 0; sending; i++) {
            const body = topicBody(`cut-${w}-${i}`)
            const { status } = await sendSigned(service.url, body)
            if (status === 200) acknowledged.push(body.TopicId)
            else expect(status).toBe(503)
          }
        })
        // Ten times, every connection of the service is terminated while callbacks are in flight.
        for (let round = 0; round < 10; round++) {
          await new Promise((r) => setTimeout(r, 150))
          await admin.query(
            'select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()',
            [db.name],
          )
        }
        sending = false
        await Promise.all(writers)
        expect(service.child.exitCode).toBeNull()
        expect((await sendSigned(service.url, topicBody('after-cuts'))).status).toBe(200)
        const stored = await allTopicIds(service.url)
        expect(acknowledged.length).toBeGreaterThan(50)
        expect(acknowledged.filter((id) => !stored.has(id))).toEqual([])
        expect(await service.stop()).toBe(0)
      } finally {
        await admin.end()
        service.child.kill('SIGKILL')
        await db.drop()
      }
    },
  )

  it.each(['node', 'deno'] as const)(
    'answers 503 and not ready while the database is down, and recovers by itself (%s)',
    async (runtime) => {
      const db = await createThrowawayDatabase()
      const service = await startService({ runtime, env: { DATABASE_URL: db.url } })
      try {
        expect((await sendSigned(service.url, topicBody('before'))).status).toBe(200)
        expect((await fetch(`${service.url}/readyz`)).status).toBe(200)

        await db.stop()
        const during = await sendSigned(service.url, topicBody('during'))
        expect(during.status).toBe(503)
        expect(during.answer).toMatchObject({ ActionStatus: 'FAIL', ErrorCode: 5001 })
        expect(during.answer.ErrorInfo).toBe('The database is unavailable; nothing was stored. IM may retry.')
        // A read says what an outage means for a read, not the callback's text.
        const read = await fetch(`${service.url}/topics`, { headers: { authorization: `Bearer ${API_TOKEN}` } })
        expect(read.status).toBe(503)
        expect(await read.json()).toMatchObject({
          ErrorCode: 5001,
          ErrorInfo: 'The database is unavailable, so nothing can be read now; try again in a few seconds.',
        })
        const ready = await fetch(`${service.url}/readyz`)
        expect(ready.status).toBe(503)
        expect(await ready.json()).toEqual({
          status: 'unavailable',
          store: 'postgres',
          reason: 'the database does not answer',
        })
        expect((await fetch(`${service.url}/healthz`)).status).toBe(200)

        await db.start()
        let recovered = false
        for (let i = 0; i < 50 && !recovered; i++) {
          recovered = (await fetch(`${service.url}/readyz`)).status === 200
          if (!recovered) await new Promise((r) => setTimeout(r, 200))
        }
        expect(recovered).toBe(true)
        expect((await sendSigned(service.url, topicBody('after'))).status).toBe(200)
        const ids = await allTopicIds(service.url)
        expect([...ids].map((id) => id.split('_t').pop()).sort()).toEqual(['after', 'before'])
        expect(await service.stop()).toBe(0)
      } finally {
        service.child.kill('SIGKILL')
        await db.drop()
      }
    },
  )

  it('stores each topic once when two replicas share the database and both get every delivery', async () => {
    const db = await createThrowawayDatabase()
    const [a, b] = await Promise.all([
      startService({ env: { DATABASE_URL: db.url } }),
      startService({ env: { DATABASE_URL: db.url } }),
    ])
    try {
      const topics = Array.from({ length: 30 }, (_, n) => topicBody(`replica-${n}`))
      const deliveries = topics.flatMap((body) => [a, b, a, b, a, b].map((service) => sendSigned(service.url, body)))
      const answers = await Promise.all(deliveries)
      expect(answers.every((r) => r.status === 200 && r.answer.ActionStatus === 'OK')).toBe(true)
      expect((await allTopicIds(a.url)).size).toBe(30)
      const events = await fetch(`${b.url}/events?limit=500`, { headers: { authorization: 'Bearer test-api-token' } })
      const outcomes = ((await events.json()) as { items: Array<{ Outcome: string }> }).items.map((e) => e.Outcome)
      expect(outcomes.filter((o) => o === 'stored')).toHaveLength(30)
      expect(outcomes.filter((o) => o === 'duplicate')).toHaveLength(150)
    } finally {
      await Promise.all([a.stop(), b.stop()])
      await db.drop()
    }
  })
})

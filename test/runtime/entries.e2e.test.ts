import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { sampleAfterCreateTopic, sampleAnswer, topicBody } from '../fixtures/index.ts'
import { API_TOKEN } from '../helpers/app.ts'
import { createThrowawayDatabase, postgresAvailable } from '../helpers/postgres.ts'
import { allTopicIds, runToExit, sendSigned, startService, startSigned } from '../helpers/service.ts'
import { readSse } from '../helpers/sse.ts'

const scratch = mkdtempSync(join(tmpdir(), 'imsync-entry-'))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

for (const runtime of ['node', 'deno'] as const) {
  describe(`the ${runtime} entry`, () => {
    it('serves a signed sample callback, stores it, and stops gracefully with exit code 0 on SIGTERM', async () => {
      const service = await startService({ runtime, env: { DATABASE_URL: `file:${join(scratch, `${runtime}.db`)}` } })
      const startup = JSON.parse(service.logs.find((l) => l.includes('"listening"'))!)
      expect(startup).toMatchObject({
        runtime: expect.stringMatching(new RegExp(`^${runtime} `)),
        store: 'sqlite',
        signEnforced: true,
      })
      // The Node entry runs on the Node that runs the suite (the machine's, then Node 24).
      if (runtime === 'node') expect(startup.runtime).toBe(`node ${process.versions.node}`)
      expect(await sendSigned(service.url, sampleAfterCreateTopic)).toEqual({ status: 200, answer: sampleAnswer })
      expect(await allTopicIds(service.url)).toEqual(new Set([sampleAfterCreateTopic.TopicId]))
      const docs = await fetch(`${service.url}/docs`)
      expect(docs.status).toBe(200)
      // Built (Node), the bundle is dist/assets'; from source (Deno), node_modules'.
      const bundle = await fetch(`${service.url}/docs/api-reference.js`)
      expect(bundle.status).toBe(200)
      expect((await bundle.arrayBuffer()).byteLength).toBeGreaterThan(1_000_000)
      expect(await service.stop('SIGTERM')).toBe(0)
      expect(service.logs.some((l) => l.includes('"msg":"stopped"'))).toBe(true)
    })

    it('finishes the callbacks in flight when told to stop, then exits 0', async () => {
      const dbFile = join(scratch, `${runtime}-inflight.db`)
      // A generous body timeout: the bodies below stay half-sent until after SIGTERM, on purpose.
      const service = await startService({ runtime, env: { DATABASE_URL: `file:${dbFile}`, BODY_TIMEOUT_MS: '10000' } })
      const bodies = Array.from({ length: 5 }, (_, i) => topicBody(`${runtime}-inflight-${i}`))
      const inFlight = await Promise.all(bodies.map((body) => startSigned(service.url, body)))
      // A request on a later connection that is answered shows the service has taken the five.
      expect((await fetch(`${service.url}/healthz`)).status).toBe(200)
      const exited = service.stop('SIGTERM')
      await service.waitForLog('"msg":"stopping"')
      // Their bodies arrive only now, after the service began to stop: each is still answered OK.
      const answers = await Promise.all(inFlight.map((r) => r.finish()))
      expect(answers).toEqual(bodies.map(() => ({ status: 200, answer: sampleAnswer })))
      expect(await exited).toBe(0)
      const again = await startService({ runtime, env: { DATABASE_URL: `file:${dbFile}` } })
      const stored = await allTopicIds(again.url)
      await again.stop()
      expect(stored).toEqual(new Set(bodies.map((b) => b.TopicId)))
    })

    it.skipIf(!postgresAvailable)('stores a signed sample in PostgreSQL (skipped only without a server)', async () => {
      const db = await createThrowawayDatabase()
      try {
        const service = await startService({ runtime, env: { DATABASE_URL: db.url } })
        expect(JSON.parse(service.logs.find((l) => l.includes('"listening"'))!).store).toBe('postgres')
        expect(await sendSigned(service.url, sampleAfterCreateTopic)).toEqual({ status: 200, answer: sampleAnswer })
        expect(await allTopicIds(service.url)).toEqual(new Set([sampleAfterCreateTopic.TopicId]))
        expect(await service.stop()).toBe(0)
      } finally {
        await db.drop()
      }
    })

    it('streams changes live, and ends open streams at once when told to stop', async () => {
      const service = await startService({
        runtime,
        env: { DATABASE_URL: `file:${join(scratch, `${runtime}-stream.db`)}`, CHANGES_HEARTBEAT_MS: '200' },
      })
      const res = await fetch(`${service.url}/changes/stream`, { headers: { authorization: `Bearer ${API_TOKEN}` } })
      expect(res.status).toBe(200)
      const events = readSse(res.body!)
      const next = events.next()
      expect((await sendSigned(service.url, topicBody(`${runtime}-live`))).status).toBe(200)
      const { value } = await next
      expect(JSON.parse(value!.data)).toMatchObject({
        position: 1,
        kind: 'created',
        topic: { Name: `topic ${runtime}-live` },
      })
      // A heartbeat comes before the next event when nothing happens.
      const ended = events.next()
      await new Promise((r) => setTimeout(r, 300))
      expect((await sendSigned(service.url, topicBody(`${runtime}-second`))).status).toBe(200)
      expect((await ended).value!.comments).toContain('heartbeat')
      const stopping = performance.now()
      const exited = service.stop('SIGTERM')
      expect(await events.next()).toEqual({ done: true, value: undefined })
      expect(await exited).toBe(0)
      expect(performance.now() - stopping).toBeLessThan(3000)
    })

    it('stops gracefully on SIGINT', async () => {
      const service = await startService({
        runtime,
        env: { DATABASE_URL: `file:${join(scratch, `${runtime}-int.db`)}` },
      })
      expect(await service.stop('SIGINT')).toBe(0)
    })

    it('refuses to start without IM_SDKAPPID, naming it', async () => {
      const { code, output } = await runToExit({ runtime, env: {} })
      expect(code).toBe(1)
      expect(output).toContain('IM_SDKAPPID is required')
    })

    it('refuses to start on a bad value, naming the variable', async () => {
      const { code, output } = await runToExit({
        runtime,
        env: { IM_SDKAPPID: '1400000000', PORT: 'eighty', LOG_LEVEL: 'loud' },
      })
      expect(code).toBe(1)
      expect(output).toContain('PORT must be an integer from 0 to 65535, got "eighty"')
      expect(output).toContain('LOG_LEVEL must be one of debug, info, warn, error, silent, got "loud"')
    })
  })
}

describe('the embedded default', () => {
  it('keeps topics in ./data/callbacks.db across a restart when DATABASE_URL is unset', async () => {
    const cwd = mkdtempSync(join(scratch, 'cwd-'))
    const first = await startService({ cwd })
    expect((await sendSigned(first.url, sampleAfterCreateTopic)).status).toBe(200)
    expect(await first.stop()).toBe(0)
    expect(existsSync(join(cwd, 'data', 'callbacks.db'))).toBe(true)
    const second = await startService({ cwd })
    expect(await allTopicIds(second.url)).toEqual(new Set([sampleAfterCreateTopic.TopicId]))
    await second.stop()
  })
})

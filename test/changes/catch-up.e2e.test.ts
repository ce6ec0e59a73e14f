import { mkdtempSync, rmSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { openStore } from '../../src/store/index.ts'
import { topicBody } from '../fixtures/index.ts'
import { API_TOKEN } from '../helpers/app.ts'
import { type RunningService, sendSigned, startService } from '../helpers/service.ts'

// Followers catching up on a long backlog read the feed a page at a time, taking turns with each other
// and with the event loop: IM's callbacks are still answered in time (IM gives up at 2 s and does not
// retry an after-callback).

const scratch = mkdtempSync(join(tmpdir(), 'imsync-catch-up-'))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

const BACKLOG = 40_000
const STREAMS = 10
const GROUP = '@TGS#_@TGS#cQVLVHIM62CJ'

/** A SQLite file with `count` topics already in the feed. */
async function seededDatabase(count = BACKLOG): Promise<string> {
  const url = `file:${join(mkdtempSync(join(scratch, 'db-')), 'backlog.db')}`
  const store = await openStore(url)
  for (let start = 0; start < count; start += 2000) {
    await Promise.all(
      Array.from({ length: 2000 }, (_, i) => {
        const body = topicBody(`backlog-${start + i}`, { GroupId: GROUP })
        const received = { receivedAt: Date.now(), command: body.CallbackCommand, query: {}, body: new Uint8Array() }
        return store.record(received, {
          kind: 'createTopic',
          topic: { ...body, UserDefinedDataList: null, ClientIP: null, OptPlatform: null },
        })
      }),
    )
  }
  await store.close()
  return url
}

/**
 * Reads a stream from position 0 until it has passed position `count`; answers how many of positions 1 to
 * `count` it saw, in order. Changes that callbacks add during the catch-up come after the backlog and may
 * share its last chunk: they are not counted.
 */
async function catchUp(url: string, count: number): Promise<number> {
  const res = await fetch(`${url}/changes/stream?after=0`, { headers: { authorization: `Bearer ${API_TOKEN}` } })
  expect(res.status).toBe(200)
  const decoder = new TextDecoder()
  let inOrder = 0
  let last = 0
  let tail = ''
  const reader = res.body!.getReader()
  while (last < count) {
    const { done, value } = await reader.read()
    if (done) break
    const lines = (tail + decoder.decode(value, { stream: true })).split('\n')
    tail = lines.pop()!
    for (const line of lines) {
      if (!line.startsWith('id: ')) continue
      const position = Number(line.slice(4))
      if (position === last + 1 && position <= count) inOrder++
      last = position
    }
  }
  await reader.cancel()
  return inOrder
}

describe.each(['node', 'deno'] as const)('on %s, ten followers catching up 40,000 changes', (runtime) => {
  let service: RunningService | undefined
  afterEach(async () => {
    await service?.stop()
    service = undefined
  })

  it('leave every callback answered within 500 ms, and each gets the whole backlog', async () => {
    service = await startService({ runtime, env: { DATABASE_URL: await seededDatabase(), LOG_LEVEL: 'info' } })
    const url = service.url
    const latencies: number[] = []
    let done = false
    const callbacks = (async () => {
      for (let n = 0; !done; n++) {
        const started = performance.now()
        const { status } = await sendSigned(url, topicBody(`live-${n}`))
        latencies.push(performance.now() - started)
        expect(status).toBe(200)
        await new Promise((r) => setTimeout(r, 20))
      }
    })()
    const seen = await Promise.all(Array.from({ length: STREAMS }, () => catchUp(url, BACKLOG)))
    done = true
    await callbacks
    expect(seen).toEqual(Array(STREAMS).fill(BACKLOG))
    latencies.sort((a, b) => a - b)
    const p = (q: number) => Math.round(latencies[Math.floor(q * (latencies.length - 1))]!)
    console.log(
      `${runtime}: ${latencies.length} callbacks while ${STREAMS} streams caught up ${BACKLOG} changes: p50 ${p(0.5)} ms, p99 ${p(0.99)} ms, max ${p(1)} ms`,
    )
    expect(latencies.length).toBeGreaterThan(10)
    expect(p(1)).toBeLessThan(500)
  }, 120_000)

  it('stops within a second while followers that do not read hold streams open', async () => {
    service = await startService({ runtime, env: { DATABASE_URL: await seededDatabase(20_000), LOG_LEVEL: 'info' } })
    const { port } = new URL(service.url)
    // Three clients ask for the whole backlog and never read a byte of it.
    const sockets = Array.from({ length: 3 }, () => {
      const socket = connect(Number(port), '127.0.0.1')
      socket.write(`GET /changes/stream?after=0 HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${API_TOKEN}\r\n\r\n`)
      socket.pause()
      return socket
    })
    await new Promise((r) => setTimeout(r, 1000))
    const started = performance.now()
    const { logs } = service
    const code = await service.stop('SIGTERM')
    const ms = performance.now() - started
    service = undefined
    for (const socket of sockets) socket.destroy()
    expect(code).toBe(0)
    expect(ms).toBeLessThan(1000)
    // Standard output and standard error alike: JSON lines only, even for the streams cut short.
    for (const line of logs) expect(() => JSON.parse(line), line).not.toThrow()
  }, 120_000)
})

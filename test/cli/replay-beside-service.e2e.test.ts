import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { openStore } from '../../src/store/index.ts'
import { topicBody } from '../fixtures/index.ts'
import { ROOT, type RunningService, runToExit, sendSigned, startService } from '../helpers/service.ts'

// `replay` is run by an operator while the service keeps taking IM's callbacks on the same SQLite
// file: every rejected event is re-run, none fails for the service's writes in between.

const scratch = mkdtempSync(join(tmpdir(), 'imsync-replay-'))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

const REJECTED = 3000

describe('replay beside a running service, on SQLite', () => {
  let service: RunningService | undefined
  afterEach(async () => {
    await service?.stop()
    service = undefined
  })

  it('re-runs 3,000 rejected events while callbacks arrive at 100 a second', async () => {
    const url = `file:${join(scratch, 'replay.db')}`
    // Events rejected by an earlier version, whose bodies the handlers of this one take.
    const store = await openStore(url)
    await Promise.all(
      Array.from({ length: REJECTED }, (_, i) => {
        const body = topicBody(`rejected-${i}`)
        const raw = new TextEncoder().encode(JSON.stringify(body))
        const received = { receivedAt: Date.now(), command: body.CallbackCommand, query: {}, body: raw }
        return store.record(received, { kind: 'reject', reason: 'refused by an earlier version' })
      }),
    )
    await store.close()

    service = await startService({ env: { DATABASE_URL: url, LOG_LEVEL: 'info' } })
    let sending = true
    let sent = 0
    const load = (async () => {
      while (sending) {
        const started = performance.now()
        expect((await sendSigned(service!.url, topicBody(`live-${sent++}`))).status).toBe(200)
        await new Promise((r) => setTimeout(r, Math.max(0, 10 - (performance.now() - started))))
      }
    })()
    await new Promise((r) => setTimeout(r, 300))
    const { code, output } = await runToExit({
      command: [process.execPath, [`${ROOT}dist/src/cli/main.js`, 'replay', '--json']],
      env: { DATABASE_URL: url },
    })
    sending = false
    await load
    expect(code, output.slice(-2000)).toBe(0)
    const report = JSON.parse(output) as { examined: number; changed: Array<{ to: string }>; stillRejected: unknown[] }
    expect(report.examined).toBe(REJECTED)
    expect(report.changed.filter((c) => c.to === 'stored')).toHaveLength(REJECTED)
    expect(report.stillRejected).toEqual([])
    expect(sent).toBeGreaterThan(100)
  }, 120_000)
})

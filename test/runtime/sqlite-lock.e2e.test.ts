import { spawn } from 'node:child_process'
import { chmodSync, closeSync, mkdtempSync, openSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { topicBody } from '../fixtures/index.ts'
import { ROOT, type RunningService, sendSigned, startService } from '../helpers/service.ts'

// Another process holding SQLite's write lock (a backup tool, a second service pointed at the same
// file, `sqlite3` left open in a transaction) must not freeze the service: libsql waits for a lock
// synchronously, on the event loop, so the store waits at most a few milliseconds there and retries
// with an asynchronous pause. The deadline answers IM in time and /healthz stays fast.

const scratch = mkdtempSync(join(tmpdir(), 'imsync-lock-'))

/** Holds the write lock of `file` from another process for `ms`; resolves once it holds it. */
function holdWriteLock(file: string, ms: number): Promise<{ released: Promise<void> }> {
  const script = `
    const Database = require('libsql')
    const db = new Database(${JSON.stringify(file)})
    db.exec('BEGIN IMMEDIATE')
    console.log('locked')
    setTimeout(() => { db.exec('COMMIT'); console.log('released'); db.close() }, ${ms})
  `
  const child = spawn(process.execPath, ['-e', script], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] })
  let output = ''
  const released = new Promise<void>((resolve) => child.on('exit', () => resolve()))
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk) => {
      output += chunk
      if (output.includes('locked')) resolve({ released })
    })
    child.on('exit', (code) =>
      reject(new Error(`the lock holder exited with ${code} before it held the lock: ${output}`)),
    )
  })
}

describe.each(['node', 'deno'] as const)('a SQLite file locked by another process (%s)', (runtime) => {
  const file = join(scratch, `${runtime}.db`)
  let service: RunningService
  beforeAll(async () => {
    // A database file made world-readable by hand or by an older version: the service makes it owner-only.
    closeSync(openSync(file, 'w'))
    chmodSync(file, 0o644)
    // And its folder open to others: the service leaves the folder alone (it may hold more) but says so.
    chmodSync(scratch, 0o755)
    service = await startService({ runtime, env: { DATABASE_URL: `file:${file}` } })
  })
  afterAll(async () => {
    await service?.stop()
  })

  it('made the existing world-readable database file owner-only at startup, and warned of the open folder', () => {
    expect(statSync(file).mode & 0o777).toBe(0o600)
    for (const side of ['-wal', '-shm']) expect(statSync(`${file}${side}`).mode & 0o077).toBe(0)
    const warning = service.logs.find((line) => line.includes('"level":"warn"') && line.includes('is open to others'))
    expect(warning).toContain(
      `${scratch} is open to others (mode 755): the database files are owner-only, but others can see them; make the folder 0700`,
    )
  })

  it('answers /healthz at once and the callback with the deadline answer within 2 s while the lock is held', async () => {
    expect((await sendSigned(service.url, topicBody('before'))).status).toBe(200)
    const { released } = await holdWriteLock(file, 3000)
    const started = performance.now()
    const callback = sendSigned(service.url, topicBody('during')).then((answer) => ({
      ...answer,
      ms: performance.now() - started,
    }))
    // While the callback waits for the lock, the event loop is free.
    const health: number[] = []
    for (let i = 0; i < 10; i++) {
      const t0 = performance.now()
      expect((await fetch(`${service.url}/healthz`)).status).toBe(200)
      health.push(performance.now() - t0)
      await new Promise((r) => setTimeout(r, 50))
    }
    const answered = await callback
    expect(answered.status).toBe(503)
    expect(answered.answer.ErrorCode).toBe(5002)
    expect(answered.ms).toBeLessThan(2000)
    expect(Math.max(...health)).toBeLessThan(250)
    await released
    // Once the lock is gone, callbacks are stored again.
    expect((await sendSigned(service.url, topicBody('after'))).status).toBe(200)
  })
})

afterAll(() => rmSync(scratch, { recursive: true, force: true }))

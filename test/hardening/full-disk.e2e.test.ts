import { execFileSync } from 'node:child_process'
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { topicBody } from '../fixtures/index.ts'
import { allTopicIds, type RunningService, sendSigned, startService } from '../helpers/service.ts'

// A full disk, for real: the database lives on a tmpfs of its own, and the test fills it. Every write
// that cannot be stored is answered 503 (IM may retry) and nothing acknowledged is lost; the error log
// names SQLITE_FULL; /readyz says not ready until a write commits again, then recovers on its own.

const scratch = mkdtempSync(join(tmpdir(), 'imsync-full-'))
const disk = join(scratch, 'disk')
mkdirSync(disk)
let mounted = false
try {
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m,mode=0700', 'tmpfs', disk], { stdio: 'pipe' })
  mounted = true
} catch (error) {
  const why = String((error as { stderr?: Buffer }).stderr ?? error).trim()
  if (process.env.CI) throw new Error(`CI needs to mount a tmpfs (as root) for the full-disk test: ${why}`)
  console.warn(`\n!!! SKIPPING the full-disk test: cannot mount a tmpfs here (needs root): ${why} !!!\n`)
}

/** Writes zeros to a new file until the disk is full; returns the file, to be removed to free space. */
function fillDisk(): string {
  const filler = join(disk, 'filler')
  const fd = openSync(filler, 'w')
  const chunk = Buffer.alloc(64 * 1024)
  try {
    for (;;) writeSync(fd, chunk)
  } catch (error) {
    if ((error as { code?: string }).code !== 'ENOSPC') throw error
  } finally {
    closeSync(fd)
  }
  return filler
}

async function readiness(url: string) {
  const res = await fetch(`${url}/readyz`)
  return { status: res.status, body: (await res.json()) as { status: string; reason?: string } }
}

/** A callback with a large body, so that the write-ahead log must grow to hold it. */
const bulky = (n: string) =>
  topicBody(n, { UserDefinedDataList: ['a', 'b', 'c'].map((Key) => ({ Key, Value: Key.repeat(2000) })) })

describe.skipIf(!mounted).each(['node', 'deno'] as const)('a full disk under the SQLite database (%s)', (runtime) => {
  let service: RunningService
  const file = join(disk, `${runtime}.db`)
  beforeAll(async () => {
    service = await startService({ runtime, env: { DATABASE_URL: `file:${file}` } })
  }, 60_000)
  afterAll(async () => {
    await service?.stop()
    rmSync(join(disk, 'filler'), { force: true })
  })

  it('answers 503 for what it cannot store, logs SQLITE_FULL, is not ready, and recovers when space returns', async () => {
    const acknowledged: string[] = []
    for (let i = 0; i < 5; i++) {
      const body = bulky(`before_${i}`)
      expect((await sendSigned(service.url, body)).status).toBe(200)
      acknowledged.push(body.TopicId)
    }
    expect((await readiness(service.url)).status).toBe(200)

    const filler = fillDisk()
    let refused: { status: number; answer: { ErrorCode: number } } | undefined
    for (let i = 0; i < 2000 && !refused; i++) {
      const body = bulky(`full_${i}`)
      const answer = await sendSigned(service.url, body)
      if (answer.status === 200) acknowledged.push(body.TopicId)
      else refused = answer
    }
    expect(refused).toMatchObject({ status: 503, answer: { ErrorCode: 5001 } })

    // The log says what the database said, not that a rollback found no transaction.
    await service.waitForLog('store unavailable')
    const failures = service.logs.filter(
      (line) => line.includes('"level":"error"') && line.includes('store unavailable'),
    )
    expect(failures.length).toBeGreaterThan(0)
    expect(failures.at(-1)).toContain('"code":"SQLITE_FULL"')
    expect(failures.join('\n')).not.toContain('cannot rollback')

    // Reads still work on a full disk; readiness tries a write, and says why it is not ready.
    expect(await readiness(service.url)).toEqual({
      status: 503,
      body: { status: 'unavailable', store: 'sqlite', reason: 'writes are failing, database or disk is full' },
    })
    expect((await fetch(`${service.url}/healthz`)).status).toBe(200)
    expect((await sendSigned(service.url, bulky('still_full'))).status).toBe(503)

    // Space comes back: readiness recovers by itself, callbacks are stored again, nothing acknowledged is missing.
    rmSync(filler)
    expect(await readiness(service.url)).toEqual({ status: 200, body: { status: 'ready', store: 'sqlite' } })
    const after = bulky('after')
    expect((await sendSigned(service.url, after)).status).toBe(200)
    acknowledged.push(after.TopicId)
    const stored = await allTopicIds(service.url)
    expect(acknowledged.filter((id) => !stored.has(id))).toEqual([])
  }, 60_000)
})

afterAll(() => {
  if (mounted) execFileSync('umount', ['-l', disk])
  rmSync(scratch, { recursive: true, force: true })
})

import { Writable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { bufferedStdout } from '../../src/log/create-logger.ts'

/** A reader that takes nothing until told to, then everything: a log shipper that stalls, then recovers. */
function stallingReader() {
  const taken: string[] = []
  let stalled: Array<() => void> = []
  let reading = false
  const stream = new Writable({
    highWaterMark: 1024,
    write(chunk, _encoding, done) {
      taken.push(String(chunk))
      if (reading) done()
      else stalled.push(done)
    },
  })
  return {
    stream,
    taken,
    resume() {
      reading = true
      for (const done of stalled) done()
      stalled = []
    },
  }
}

const turn = () => new Promise((resolve) => setImmediate(resolve))
const line = (n: number) => JSON.stringify({ level: 'info', msg: 'callback', n, pad: 'x'.repeat(200) })

describe('standard output of the log', () => {
  it('holds at most the cap of unread lines while the reader stalls, then says how many it dropped', async () => {
    const reader = stallingReader()
    const out = bufferedStdout(reader.stream, { maxUnreadBytes: 64 * 1024, now: () => Date.UTC(2026, 10, 24) })
    for (let n = 0; n < 2000; n++) {
      out.write(line(n))
      if (n % 100 === 99) await turn()
    }
    await turn()
    // The stream holds what was written before the cap was reached, and not much more.
    expect(reader.stream.writableLength).toBeGreaterThan(64 * 1024)
    expect(reader.stream.writableLength).toBeLessThan(64 * 1024 + 100 * 300)
    reader.resume()
    await turn()
    out.write(line(2000))
    await turn()
    const lines = reader.taken
      .join('')
      .trimEnd()
      .split('\n')
      .map((text) => JSON.parse(text) as { msg: string; n?: number; count?: number })
    const notice = lines.find((l) => l.msg === 'log lines dropped')!
    const kept = lines.filter((l) => l.msg === 'callback')
    expect(notice).toMatchObject({ level: 'warn', count: 2001 - kept.length, time: '2026-11-24T00:00:00.000Z' })
    // Nothing is dropped once the reader keeps up: the last line is there, after the notice.
    expect(kept.at(-1)?.n).toBe(2000)
    expect(lines.indexOf(notice)).toBeLessThan(lines.length - 1)
  })

  it('drops nothing while the reader keeps up', async () => {
    const reader = stallingReader()
    reader.resume()
    const out = bufferedStdout(reader.stream, { maxUnreadBytes: 1024 })
    for (let n = 0; n < 500; n++) {
      out.write(line(n))
      if (n % 50 === 49) await turn()
    }
    await turn()
    const lines = reader.taken.join('').trimEnd().split('\n')
    expect(lines).toHaveLength(500)
    expect(lines.some((text) => text.includes('dropped'))).toBe(false)
  })
})

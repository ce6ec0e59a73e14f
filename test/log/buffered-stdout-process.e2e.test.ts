import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ROOT } from '../helpers/service.ts'

describe('standard output of the log, in a process of its own', () => {
  it('keeps a process within its memory when nothing reads its standard output', async () => {
    // The built logger in a process of its own, its stdout a pipe that this test never reads.
    const script = `
      import { bufferedStdout } from ${JSON.stringify(join(ROOT, 'dist/src/log/create-logger.js'))}
      const out = bufferedStdout()
      const line = JSON.stringify({ msg: 'callback', pad: 'x'.repeat(250) })
      let n = 0
      const tick = setInterval(() => { for (let i = 0; i < 1000; i++) out.write(line); if ((n += 1000) >= 200000) { clearInterval(tick); setImmediate(() => { process.stderr.write(String(process.stdout.writableLength)); process.exit(0) }) } }, 1)
    `
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] })
    let unread = ''
    child.stderr.on('data', (d) => (unread += d))
    await new Promise((resolve) => child.on('exit', resolve))
    // 200,000 lines of 270 bytes are 54 MB: at most the cap of them waited in the process.
    expect(Number(unread)).toBeGreaterThan(0)
    expect(Number(unread)).toBeLessThan(4 * 1024 * 1024 + 300 * 1000)
  })
})

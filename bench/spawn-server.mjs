// Starts a server for a benchmark with its standard output going to a file, as to a log shipper that
// keeps up: a pipe read by the benchmark's own busy process would lag, and the service would then
// drop log lines (it holds at most a few MB of unread output), which would flatter its figures.
import { spawn } from 'node:child_process'
import { closeSync, openSync, readFileSync } from 'node:fs'
import { createServer } from 'node:net'

/**
 * Spawns `bin args` with stdout appended to `logFile`, and resolves with the child once it has logged
 * its "listening" line.
 * @param {string} bin
 * @param {string[]} args
 * @param {{ cwd: string, env: Record<string, string | undefined>, logFile: string }} options
 */
export async function spawnServer(bin, args, { cwd, env, logFile }) {
  const out = openSync(logFile, 'a')
  const child = spawn(bin, args, { cwd, env, stdio: ['ignore', out, 'inherit'] })
  closeSync(out)
  let exited = null
  child.once('exit', (code) => (exited = code))
  for (;;) {
    const log = readFileSync(logFile, 'utf8')
    if (log.includes('"listening"')) return child
    if (exited !== null) throw new Error(`${bin} exited with ${exited}: ${log}`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

/** A port free on 127.0.0.1 right now, for a server to listen on. */
export const freePort = () =>
  new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address()
      s.close(() => resolve(port))
    })
  })

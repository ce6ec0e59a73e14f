import { type ChildProcess, spawn } from 'node:child_process'
import { request } from 'node:http'
import { type AddressInfo, connect, createServer } from 'node:net'
import { fileURLToPath } from 'node:url'
import { sign } from '../../src/verify/index.ts'
import { API_TOKEN, SDKAPPID, TOKEN } from './app.ts'
import { keepLogLine } from './log-sink.ts'

export const ROOT = fileURLToPath(new URL('../../', import.meta.url))
export const DENO = `${ROOT}node_modules/.bin/deno`

/** The real service in its own process, started the way users start it. */
export interface RunningService {
  url: string
  logs: string[]
  child: ChildProcess
  exited: Promise<number | null>
  /** Sends a signal and waits for the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>
  /** Resolves once a log line contains `text`; rejects after 10 s. */
  waitForLog(text: string): Promise<void>
}

export interface StartOptions {
  runtime?: 'node' | 'deno'
  env?: Record<string, string | undefined>
  cwd?: string
  /** A command to run instead of the runtime's entry, as a user types it: `['npm', ['start']]`. */
  command?: [string, string[]]
  /**
   * Runs the command in a process group of its own, and `stop()` signals the whole group, as a
   * terminal's Ctrl-C does: for wrappers such as npx that do not pass a signal on.
   */
  group?: boolean
  /** How long it may take to listen (a command that installs first takes longer). */
  startMs?: number
}

function entry(runtime: 'node' | 'deno'): [string, string[]] {
  return runtime === 'node'
    ? [process.execPath, [`${ROOT}dist/src/node.js`]]
    : [
        DENO,
        [
          'run',
          `--config=${ROOT}deno.json`,
          '--allow-net',
          '--allow-env',
          '--allow-read',
          '--allow-write',
          '--allow-ffi',
          '--allow-sys',
          `${ROOT}src/deno.ts`,
        ],
      ]
}

/** Starts the service and resolves once it listens; rejects with its output if it exits first. */
export function startService({
  runtime = 'node',
  env = {},
  cwd = ROOT,
  command,
  group = false,
  startMs = 30_000,
}: StartOptions = {}): Promise<RunningService> {
  const [bin, args] = command ?? entry(runtime)
  const child = spawn(bin, args, {
    cwd,
    detached: group,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      IM_SDKAPPID: SDKAPPID,
      IM_CALLBACK_TOKEN: TOKEN,
      API_TOKEN,
      HOST: '127.0.0.1',
      PORT: '0',
      LOG_LEVEL: 'debug',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const logs: string[] = []
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  return new Promise((resolve, reject) => {
    // A service that does not start is killed, with what it started (a group's npm install too).
    const timer = setTimeout(() => {
      try {
        if (group) process.kill(-child.pid!, 'SIGKILL')
        else child.kill('SIGKILL')
      } catch {}
      reject(new Error(`the service did not start within ${startMs / 1000} s:\n${logs.join('\n')}`))
    }, startMs)
    const onLine = (line: string) => {
      logs.push(line)
      keepLogLine(line)
      if (!line.includes('"msg":"listening"')) return
      clearTimeout(timer)
      const { port } = JSON.parse(line) as { port: number }
      resolve({
        url: `http://127.0.0.1:${port}`,
        logs,
        child,
        exited,
        stop: async (signal = 'SIGTERM') => {
          if (group) process.kill(-child.pid!, signal)
          else child.kill(signal)
          return exited
        },
        waitForLog: async (text) => {
          for (let waited = 0; !logs.some((l) => l.includes(text)); waited += 10) {
            if (waited >= 10_000) throw new Error(`no log line with ${text} within 10 s:\n${logs.join('\n')}`)
            await new Promise((r) => setTimeout(r, 10))
          }
        },
      })
    }
    for (const stream of [child.stdout!, child.stderr!]) {
      let buffered = ''
      stream.setEncoding('utf8').on('data', (chunk: string) => {
        buffered += chunk
        const lines = buffered.split('\n')
        buffered = lines.pop()!
        lines.forEach(onLine)
      })
    }
    void exited.then((code) => {
      clearTimeout(timer)
      reject(new Error(`the service exited with ${code} before it listened:\n${logs.join('\n')}`))
    })
  })
}

/** Runs the entry to its exit and returns its code and output (for startup failures). */
export function runToExit({
  runtime = 'node',
  env = {},
  cwd = ROOT,
  command,
}: StartOptions = {}): Promise<{ code: number | null; output: string }> {
  const [bin, args] = command ?? entry(runtime)
  const child = spawn(bin, args, {
    cwd,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout.on('data', (c) => (output += c))
  child.stderr.on('data', (c) => (output += c))
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, output })))
}

/** Whether anything accepts connections at `url`'s host and port. */
export function listens(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url)
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port) })
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
}

/** A TCP port that was free a moment ago, on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo
      server.close(() => resolve(port))
    })
  })
}

type CallbackBody = { CallbackCommand: string } & Record<string, unknown>
type Answer = { ActionStatus: string; ErrorCode: number; ErrorInfo: string }

/** The callback URL for `body`, signed now, as IM signs it. */
function signedCallbackUrl(baseUrl: string, body: CallbackBody): string {
  const time = Math.floor(Date.now() / 1000)
  const query = new URLSearchParams({
    SdkAppid: SDKAPPID,
    CallbackCommand: body.CallbackCommand,
    contenttype: 'json',
    ClientIP: '127.0.0.1',
    OptPlatform: 'RESTAPI',
    RequestTime: String(time),
    Sign: sign(TOKEN, time),
  })
  return `${baseUrl}/callback?${query}`
}

/** Posts a callback signed now, as IM does, and returns the HTTP status and IM's view of the answer. */
export async function sendSigned(baseUrl: string, body: CallbackBody) {
  const res = await fetch(signedCallbackUrl(baseUrl, body), { method: 'POST', body: JSON.stringify(body) })
  return { status: res.status, answer: (await res.json()) as Answer }
}

/**
 * Starts a signed callback on a connection of its own and sends its head and the first half of its
 * body, so that the service holds it in flight until `finish()` sends the rest.
 */
export async function startSigned(baseUrl: string, body: CallbackBody) {
  const bytes = Buffer.from(JSON.stringify(body))
  const req = request(signedCallbackUrl(baseUrl, body), {
    method: 'POST',
    agent: false,
    headers: { 'content-length': bytes.length },
  })
  const answered = new Promise<{ status: number; answer: Answer }>((resolve, reject) => {
    req.on('error', reject)
    req.on('response', (res) => {
      let text = ''
      res.setEncoding('utf8').on('data', (chunk) => (text += chunk))
      res.on('end', () => resolve({ status: res.statusCode!, answer: JSON.parse(text) as Answer }))
    })
  })
  await new Promise<void>((resolve, reject) => {
    req.once('error', reject)
    req.write(bytes.subarray(0, bytes.length >> 1), (error) => (error ? reject(error) : resolve()))
  })
  return {
    /** Sends the rest of the body and resolves with the answer. */
    finish: () => {
      req.end(bytes.subarray(bytes.length >> 1))
      return answered
    },
  }
}

/** Every topic ID the read API lists, through all its pages. */
export async function allTopicIds(baseUrl: string): Promise<Set<string>> {
  const ids = new Set<string>()
  let cursor: string | null = null
  do {
    const res = await fetch(`${baseUrl}/topics?limit=500${cursor ? `&cursor=${cursor}` : ''}`, {
      headers: { authorization: `Bearer ${API_TOKEN}` },
    })
    if (res.status !== 200) throw new Error(`GET /topics answered ${res.status}: ${await res.text()}`)
    const page = (await res.json()) as { items: Array<{ TopicId: string }>; nextCursor: string | null }
    for (const item of page.items) ids.add(item.TopicId)
    cursor = page.nextCursor
  } while (cursor !== null)
  return ids
}

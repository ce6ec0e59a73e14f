import { createApp } from '../../src/app.ts'
import { loadConfig } from '../../src/config/index.ts'
import { createLogger, type LogLevel } from '../../src/log/index.ts'
import { createMetrics } from '../../src/metrics/index.ts'
import { openSqliteStore, type Store } from '../../src/store/index.ts'
import { sign } from '../../src/verify/index.ts'
import { keepLogLine } from './log-sink.ts'

export const SDKAPPID = '1400000000'
export const TOKEN = 'test-callback-token'
export const PREVIOUS_TOKEN = 'test-previous-token'
export const API_TOKEN = 'test-api-token'
/** A fixed clock: 2026-11-22T08:00:00Z. */
export const NOW_MS = Date.UTC(2026, 10, 22, 8, 0, 0)
export const NOW_S = NOW_MS / 1000

export interface TestApp {
  app: ReturnType<typeof createApp>
  store: Store
  logs: string[]
}

/** The app in process, over a real SQLite database in memory, with captured logs. */
export async function makeApp(
  env: Record<string, string | undefined> = {},
  {
    store,
    level = 'debug',
    nowMs = NOW_MS,
    onTopicInfoChanged,
  }: { store?: Store; level?: LogLevel; nowMs?: number; onTopicInfoChanged?: (groupId: string) => void } = {},
): Promise<TestApp> {
  const config = loadConfig({ IM_SDKAPPID: SDKAPPID, IM_CALLBACK_TOKEN: TOKEN, API_TOKEN, ...env })
  const logs: string[] = []
  const metrics = createMetrics()
  const theStore = store ?? (await openSqliteStore(':memory:', { observer: metrics }))
  const app = createApp({
    config,
    store: theStore,
    metrics,
    clock: () => nowMs,
    log: createLogger({ level, write: (l) => (logs.push(l), keepLogLine(l)) }),
    onTopicInfoChanged,
  })
  return { app, store: theStore, logs }
}

/** A callback URL signed as IM signs it. */
export function callbackUrl({
  command = 'Group.CallbackAfterCreateTopic',
  time = NOW_S,
  token = TOKEN,
  sdkAppId = SDKAPPID,
  extra = {},
}: {
  command?: string
  time?: number
  token?: string
  sdkAppId?: string
  extra?: Record<string, string>
} = {}): string {
  const q = new URLSearchParams({
    SdkAppid: sdkAppId,
    CallbackCommand: command,
    contenttype: 'json',
    ClientIP: '127.0.0.1',
    OptPlatform: 'RESTAPI',
    RequestTime: String(time),
    Sign: sign(token, time),
    ...extra,
  })
  return `/callback?${q}`
}

const encoder = new TextEncoder()

/** POSTs a body as IM does: JSON bytes and, like IM's own sample, no Content-Type header. */
export function post(app: TestApp['app'], url: string, body: unknown, headers: Record<string, string> = {}) {
  const bytes =
    body instanceof Uint8Array ? body : encoder.encode(typeof body === 'string' ? body : JSON.stringify(body))
  return app.request(url, { method: 'POST', body: bytes, headers })
}

/** The answer's status and JSON. */
export async function answerOf(res: Response) {
  return {
    status: res.status,
    body: (await res.json()) as { ActionStatus: string; ErrorCode: number; ErrorInfo: string },
  }
}

export const bearer = { authorization: `Bearer ${API_TOKEN}` }

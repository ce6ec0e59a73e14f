/**
 * How much the service logs; `silent` logs nothing.
 *
 * @example
 * ```ts
 * const level: LogLevel = 'warn'
 * ```
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent'

/** Fields of one log line. Never a token, a `Sign` or a body at info level. */
export type LogFields = Record<string, unknown>

/**
 * A structured logger: one JSON object per line.
 *
 * @example
 * ```ts
 * const log: Logger = createLogger({ level: 'info' })
 * log.info('started', { port: 8080 })
 * ```
 */
export interface Logger {
  debug(msg: string, fields?: LogFields): void
  info(msg: string, fields?: LogFields): void
  warn(msg: string, fields?: LogFields): void
  error(msg: string, fields?: LogFields): void
  /** Writes out whatever is buffered; call it before the process exits. */
  flush(): void
}

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 }

/** What {@link bufferedStdout} writes to: standard output, or a stream that stands for it in a test. */
export interface LogStream {
  write(text: string): unknown
  /** Bytes written but not yet taken by the reader (Node's `Writable.writableLength`). */
  readonly writableLength?: number
}

/**
 * How much unread log output the process holds before it drops lines. Node writes to a pipe without
 * blocking and keeps what the reader has not taken yet: without a cap, a log shipper that stalls
 * would make the service's memory grow without end. A few seconds of lines at thousands a second.
 */
export const MAX_UNREAD_LOG_BYTES = 4 * 1024 * 1024

/**
 * Standard output, written once per turn of the event loop rather than once per line: at thousands of
 * callbacks a second, one write system call per line costs more than the line. While more than
 * `maxUnreadBytes` written earlier are still unread, lines are dropped rather than held (blocking
 * instead would hold up every callback); the next line written says how many were dropped. Whatever
 * is buffered is written before the process exits.
 *
 * @example
 * ```ts
 * const out = bufferedStdout()
 * createLogger({ write: out.write, flush: out.flush })
 * ```
 */
export function bufferedStdout(
  stream: LogStream = process.stdout,
  { maxUnreadBytes = MAX_UNREAD_LOG_BYTES, now = Date.now }: { maxUnreadBytes?: number; now?: () => number } = {},
): { write: (line: string) => void; flush: () => void } {
  let lines: string[] = []
  let dropped = 0
  const flush = () => {
    if (lines.length === 0) return
    if ((stream.writableLength ?? 0) > maxUnreadBytes) {
      dropped += lines.length
      lines = []
      return
    }
    if (dropped > 0) {
      const notice = {
        time: new Date(now()).toISOString(),
        level: 'warn',
        msg: 'log lines dropped',
        count: dropped,
        reason: `more than ${maxUnreadBytes} bytes of earlier lines were still unread`,
      }
      lines.unshift(JSON.stringify(notice))
      dropped = 0
    }
    const text = `${lines.join('\n')}\n`
    lines = []
    stream.write(text)
  }
  if (stream === process.stdout) process.once('exit', flush)
  return {
    write: (line) => {
      if (lines.push(line) === 1) setImmediate(flush)
    },
    flush,
  }
}

/**
 * Options of {@link createLogger}.
 *
 * @example
 * ```ts
 * const lines: string[] = []
 * createLogger({ level: 'debug', write: (line) => lines.push(line) })
 * ```
 */
export interface LoggerOptions {
  level?: LogLevel
  /** Where each line goes; standard output, buffered per turn of the event loop, by default. */
  write?: (line: string) => void
  /** Writes out what `write` buffered. */
  flush?: () => void
  /** The clock, for the `time` field. */
  now?: () => number
}

/** An Error as log fields: name, message and the chain of causes, without a stack. */
export function describeError(error: unknown): LogFields {
  if (!(error instanceof Error)) return { error: String(error) }
  const fields: LogFields = { error: `${error.name}: ${error.message}` }
  const cause = error.cause === undefined ? undefined : describeError(error.cause)
  if (cause) fields.cause = cause.error
  // The code of the error or of its cause (a StoreError wraps the database's SQLITE_FULL, 53100, …).
  const code = (error as { code?: unknown }).code
  if (typeof code === 'string' || typeof code === 'number') fields.code = code
  else if (cause?.code !== undefined) fields.code = cause.code
  return fields
}

/**
 * Makes a logger that writes one JSON line per call, at or above `level`.
 *
 * @example
 * ```ts
 * const log = createLogger({ level: 'info' })
 * log.info('callback', { command: 'Group.CallbackAfterCreateTopic', outcome: 'stored', ms: 1.2 })
 * ```
 */
export function createLogger({ level = 'info', write, flush, now = Date.now }: LoggerOptions = {}): Logger {
  if (write === undefined) ({ write, flush } = bufferedStdout())
  const out = write
  const threshold = RANK[level]
  // Thousands of lines a second share a few timestamps: each millisecond is formatted once.
  let lastMs = Number.NaN
  let lastTime = ''
  const time = () => {
    const ms = now()
    if (ms !== lastMs) {
      lastMs = ms
      lastTime = new Date(ms).toISOString()
    }
    return lastTime
  }
  const at = (lvl: Exclude<LogLevel, 'silent'>) =>
    RANK[lvl] < threshold
      ? () => {}
      : (msg: string, fields?: LogFields) => out(JSON.stringify({ time: time(), level: lvl, msg, ...fields }))
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), flush: () => flush?.() }
}

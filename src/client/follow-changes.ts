import type * as Types from '../contract/generated-types.ts'
import { checkServiceOptions } from './check-service-options.ts'

/**
 * One change in the change feed: its position, what it did, when, and the topic after it.
 *
 * @example
 * ```ts
 * const onChange = (change: TopicChange) => copy.set(change.topic.TopicId, change.topic)
 * ```
 */
export type TopicChange = Types.TopicChange

/**
 * Options of {@link followChanges}.
 *
 * @example
 * ```ts
 * const options: FollowChangesOptions = { baseUrl, apiToken, after: saved, onChange: (c) => save(c) }
 * ```
 */
export interface FollowChangesOptions {
  /** Where the service is, for example `https://im-sync.internal`. */
  baseUrl: string
  /** The service's `API_TOKEN`. */
  apiToken: string
  /** The position to start after: the last one you applied (0 or absent: from the beginning). */
  after?: number | string
  /**
   * Told each change once, in order. The next change waits until it returns (or its promise
   * settles); if it throws, following stops and `done` rejects with that error, and the change is
   * not counted as delivered.
   */
  onChange(change: TopicChange): void | Promise<void>
  /** Told each time the copy holds everything committed so far: after paging, and after each reconnect. */
  onCaughtUp?(position: number): void
  /** Told of each failure that following survives (it reconnects); by default, nothing. */
  onRetry?(error: unknown, attempt: number): void
  /** How many changes a page holds while catching up (1 to 500; default 500). */
  pageSize?: number
  /** Stops following when it aborts; `done` then resolves. */
  signal?: AbortSignal
  /** A fetch to use instead of the global one. */
  fetch?: (request: Request) => Response | Promise<Response>
}

/**
 * A running {@link followChanges}.
 *
 * @example
 * ```ts
 * const follower: ChangeFollower = followChanges({ baseUrl, apiToken, onChange })
 * ```
 */
export interface ChangeFollower {
  /** The position of the last change delivered: save it with your copy, and pass it back as `after`. */
  readonly position: number
  /** Stops following; resolves once it has stopped (a change being delivered is let finish). */
  stop(): Promise<void>
  /** Resolves when following stops, rejects if `onChange` threw or the service refused the token. */
  readonly done: Promise<void>
}

/**
 * An answer that retrying will not change: the token, the URL or the parameters are wrong.
 *
 * @example
 * ```ts
 * follower.done.catch((error) => { if (error instanceof ChangeFeedError && error.status === 401) rotateToken() })
 * ```
 */
export class ChangeFeedError extends Error {
  override readonly name = 'ChangeFeedError'
  /** The HTTP status the service answered. */
  readonly status: number
  constructor(message: string, status: number) {
    super(message)
    this.status = status
  }
}

/** Carries an error thrown by `onChange`, which ends following, apart from the failures it survives. */
class OnChangeFailed extends Error {
  constructor(cause: unknown) {
    super('onChange threw', { cause })
  }
}

/** One Server-Sent Event: the fields this feed uses. */
interface SseEvent {
  id: string | undefined
  event: string
  data: string
}

/**
 * Splits a Server-Sent Events body into events, as the HTML standard's parser does: lines end with
 * CR, LF or CRLF; an empty line dispatches; `:` starts a comment; `data` lines join with LF.
 */
async function* readEvents(body: ReadableStream<Uint8Array>, signal: AbortSignal): AsyncGenerator<SseEvent> {
  const decoder = new TextDecoder()
  const reader = body.getReader()
  // Aborting a fetch ends its body, but a body from an in-process `fetch` option may not listen.
  const cancel = () => void reader.cancel().catch(() => {})
  signal.addEventListener('abort', cancel, { once: true })
  let buffer = ''
  let id: string | undefined
  let event = ''
  let data: string[] = []
  try {
    for (;;) {
      const { value, done } = await reader.read()
      if (done) return
      buffer += decoder.decode(value, { stream: true })
      for (;;) {
        const end = buffer.search(/\r\n|\r|\n/)
        // A lone CR at the end of the buffer may be the first half of a CRLF: wait for more.
        if (end < 0 || (end === buffer.length - 1 && buffer[end] === '\r')) break
        const line = buffer.slice(0, end)
        buffer = buffer.slice(end + (buffer.startsWith('\r\n', end) ? 2 : 1))
        if (line === '') {
          if (data.length > 0) yield { id, event: event || 'message', data: data.join('\n') }
          event = ''
          data = []
          continue
        }
        if (line.startsWith(':')) continue
        const colon = line.indexOf(':')
        const field = colon < 0 ? line : line.slice(0, colon)
        const text = colon < 0 ? '' : line.slice(colon + (line[colon + 1] === ' ' ? 2 : 1))
        if (field === 'data') data.push(text)
        else if (field === 'event') event = text
        else if (field === 'id' && !text.includes('\0')) id = text
      }
    }
  } finally {
    signal.removeEventListener('abort', cancel)
    cancel()
  }
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms)
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer)
        resolve()
      },
      { once: true },
    )
  })

/**
 * Builds a copy of the topics and keeps it current: pages `GET /changes` from `after` until it has
 * everything committed, then follows `GET /changes/stream`; when the connection breaks or the service
 * restarts, it reconnects (with backoff, up to 10 s apart) from the last position it delivered. Each
 * change is delivered once, in order: a change at or below the last delivered position is never
 * delivered again, even across reconnects.
 *
 * @example
 * ```ts
 * import { followChanges } from 'im-topic-sync/client'
 *
 * const copy = new Map<string, unknown>()
 * const follower = followChanges({
 *   baseUrl: 'http://127.0.0.1:8080',
 *   apiToken: process.env.API_TOKEN!,
 *   after: 0,
 *   onChange: (change) => void copy.set(change.topic.TopicId, change.topic),
 * })
 * // later: await follower.stop(); save follower.position to resume from it
 * ```
 */
export function followChanges(options: FollowChangesOptions): ChangeFollower {
  const { baseUrl, apiToken, onChange, onCaughtUp, onRetry, pageSize = 500, signal } = options
  checkServiceOptions('followChanges', baseUrl, apiToken)
  if (typeof onChange !== 'function') throw new TypeError('followChanges: onChange must be a function')
  const start = Number(options.after ?? 0)
  if (!Number.isSafeInteger(start) || start < 0)
    throw new TypeError(`followChanges: after must be a position (an integer ≥ 0), got ${String(options.after)}`)
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 500)
    throw new TypeError('followChanges: pageSize must be an integer from 1 to 500')

  const fetchFn = options.fetch ?? ((request: Request) => fetch(request))
  const root = baseUrl.replace(/\/+$/, '')
  const stopping = new AbortController()
  const stopSignal = signal ? AbortSignal.any([signal, stopping.signal]) : stopping.signal
  let position = start
  const stopped = new Promise<never>((_, reject) => {
    const abort = () => reject(stopSignal.reason)
    if (stopSignal.aborted) abort()
    else stopSignal.addEventListener('abort', abort, { once: true })
  })
  stopped.catch(() => {})

  async function get(path: string, headers: Record<string, string> = {}): Promise<Response> {
    const request = new Request(`${root}${path}`, {
      headers: { authorization: `Bearer ${apiToken}`, ...headers },
      signal: stopSignal,
    })
    // A fetch that ignores the signal must not hold up stop().
    const response = await Promise.race([fetchFn(request), stopped])
    if (response.ok) return response
    const text = await response.text().catch(() => '')
    let info = text
    try {
      info = (JSON.parse(text) as { ErrorInfo?: string }).ErrorInfo ?? text
    } catch {}
    const message = `GET ${path} answered ${response.status}: ${info.slice(0, 300)}`
    // Refusals that a retry cannot change end following; anything else (503, 5xx, a proxy's 502) is retried.
    if (response.status >= 400 && response.status < 500 && response.status !== 408 && response.status !== 429)
      throw new ChangeFeedError(message, response.status)
    throw new Error(message)
  }

  async function deliver(change: TopicChange): Promise<void> {
    if (change.position <= position) return
    try {
      await onChange(change)
    } catch (error) {
      throw new OnChangeFailed(error)
    }
    position = change.position
  }

  /** One connection's worth: catch up by pages, then follow the stream until it ends. */
  async function session(): Promise<void> {
    for (;;) {
      const page = (await (await get(`/changes?after=${position}&limit=${pageSize}`)).json()) as Types.ChangePage
      for (const change of page.items) await deliver(change)
      if (!page.hasMore) break
    }
    onCaughtUp?.(position)
    const stream = await get(`/changes/stream?after=${position}`, {
      accept: 'text/event-stream',
      'last-event-id': String(position),
    })
    for await (const event of readEvents(stream.body!, stopSignal)) {
      if (event.event === 'change') await deliver(JSON.parse(event.data) as TopicChange)
    }
  }

  const done = (async () => {
    let attempt = 0
    while (!stopSignal.aborted) {
      const before = position
      try {
        await session()
        // The service ended the stream (it is stopping): reconnect soon, to it or another replica.
        attempt = 0
        await sleep(100 + Math.random() * 150, stopSignal)
      } catch (error) {
        if (error instanceof OnChangeFailed) throw error.cause
        if (stopSignal.aborted) break
        if (error instanceof ChangeFeedError) throw error
        if (position > before) attempt = 0
        attempt++
        onRetry?.(error, attempt)
        await sleep(Math.min(250 * 2 ** (attempt - 1), 10_000) * (0.5 + Math.random() / 2), stopSignal)
      }
    }
  })()

  return {
    get position() {
      return position
    },
    async stop() {
      stopping.abort()
      await done.catch(() => {})
    },
    done,
  }
}

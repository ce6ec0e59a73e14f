import type { TopicChange } from '../contract/read-api.ts'
import type { Logger } from '../log/index.ts'
import { describeError } from '../log/index.ts'
import type { Feed } from '../store/store.ts'
import type { ChangeFeed } from './create-change-feed.ts'

/** Options of {@link createChangeStream}. */
export interface ChangeStreamOptions {
  store: Feed
  feed: ChangeFeed
  /** The position to start after. */
  after: number
  /** How long the stream may stay silent before it sends a heartbeat comment. */
  heartbeatMs: number
  /** How many changes one read of the database fetches. */
  pageSize?: number
  /** How long the client may leave what was sent unread before the stream is dropped. */
  stallMs?: number
  /** Ends the stream when it aborts (the client went away). */
  signal?: AbortSignal
  /** Aborted when the key that opened the stream is revoked: the stream then ends. */
  revoked?: AbortSignal
  /** Called once when the stream ends, however it ends: gives its place back to the feed. */
  onEnd?: () => void
  log?: Logger
}

/** The milliseconds an EventSource waits before it reconnects, sent once at the start. */
const RETRY_MS = 1000
/** How long a stream waits before it reads again after a wake-up that found nothing. */
const MIN_IDLE_READ_MS = 25

const encoder = new TextEncoder()

/** One change as a Server-Sent Event: its id is its position, so that a reconnect resumes after it. */
export function changeEvent(change: TopicChange): string {
  // JSON.stringify escapes CR and LF, so the data is one line.
  return `id: ${change.position}\nevent: change\ndata: ${JSON.stringify(change)}\n\n`
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Why a stream was ended from this side while its client was not reading: it stopped reading, or
 * the service is stopping.
 *
 * @example
 * ```ts
 * new StreamDropped('its client has read nothing for 30000 ms')
 * ```
 */
export class StreamDropped extends Error {
  override readonly name = 'StreamDropped'
}

/**
 * The body of `GET /changes/stream`: every change after `after`, then each new one as it commits, as
 * Server-Sent Events. It is pulled, not pushed: the next page is read from the database only when the
 * client has taken the previous one, so a slow client holds one page at most, and its reads take
 * turns with every other stream's ({@link ChangeFeed.turn}), so that no number of streams catching up
 * holds callbacks back. When nothing happens for `heartbeatMs`, it sends a comment so that proxies keep
 * the connection open. It ends when the client goes away, when the feed closes (the service is
 * stopping: at once, even for a client that is not reading), when its client leaves what was sent
 * unread for `stallMs`, or when the database fails; the client reconnects with its last position.
 *
 * @example
 * ```ts
 * return new Response(createChangeStream({ store, feed, after: 0, heartbeatMs: 15_000 }), { headers })
 * ```
 */
export function createChangeStream({
  store,
  feed,
  after,
  heartbeatMs,
  pageSize = 100,
  stallMs = 30_000,
  signal,
  revoked,
  onEnd,
  log,
}: ChangeStreamOptions): ReadableStream<Uint8Array> {
  let cursor = after
  // Whether the last read followed a wake-up: if it found nothing, the stream pauses a little before
  // it waits again, so that a feed that keeps waking it for nothing cannot make it spin.
  let woken = false
  let pulling = false
  let stalled: ReturnType<typeof setTimeout> | undefined
  let ended = false
  const cancelled = new AbortController()
  const stop = signal ? AbortSignal.any([signal, cancelled.signal]) : cancelled.signal
  // What ends a wait: the client leaving, or the key being revoked (the stream then ends, below).
  const waitEnds = revoked ? AbortSignal.any([stop, revoked]) : stop
  const finish = () => {
    if (ended) return
    ended = true
    clearTimeout(stalled)
    stopListening()
    onEnd?.()
  }
  let drop: (why: string) => void = () => {}
  let stopListening = () => {}
  let closeNow: () => void = () => {}
  // The feed closes when the service stops: a stream waiting in pull ends by itself, one whose client
  // has taken everything ends cleanly, and one whose client left something unread is dropped.
  const onClosing = () => {
    if (!pulling) closeNow()
  }

  return new ReadableStream<Uint8Array>({
    start(controller) {
      drop = (why) => {
        if (ended || stop.aborted) return
        finish()
        log?.info('change stream dropped', { reason: why, position: cursor })
        controller.error(new StreamDropped(why))
      }
      closeNow = () => {
        if (ended || stop.aborted) return
        if ((controller.desiredSize ?? 0) <= 0) return drop('the service is stopping')
        finish()
        controller.close()
      }
      stopListening = feed.onClose(onClosing)
      // A revoked key's stream ends as a stopping service's does: at once unless a pull is under way,
      // which sees the revocation and ends it.
      revoked?.addEventListener('abort', onClosing, { once: true })
      controller.enqueue(encoder.encode(`retry: ${RETRY_MS}\n: changes after position ${after}\n\n`))
      stalled = setTimeout(() => drop(`its client has read nothing for ${stallMs} ms`), stallMs)
      if (feed.closed) onClosing()
    },
    async pull(controller) {
      clearTimeout(stalled)
      pulling = true
      // The client may go away while this waits: after that, closing or enqueueing throws, and
      // nothing needs to be done any more.
      const end = () => {
        finish()
        if (!stop.aborted) controller.close()
      }
      const send = (text: string) => {
        if (stop.aborted || ended) return
        controller.enqueue(encoder.encode(text))
        // The client takes what was sent, and pulls again, or is dropped after stallMs.
        stalled = setTimeout(() => drop(`its client has read nothing for ${stallMs} ms`), stallMs)
      }
      try {
        for (;;) {
          if (revoked?.aborted && !stop.aborted && !ended) {
            log?.info('change stream ended: its key was revoked', { position: cursor })
            send(': the key of this stream was revoked\n\n')
            return end()
          }
          if (feed.closed || stop.aborted) return end()
          let page: Awaited<ReturnType<Feed['listChanges']>>
          try {
            page = await feed.turn(() => store.listChanges({ after: cursor, limit: pageSize }))
          } catch (error) {
            log?.warn('change stream ended: the database is unavailable', describeError(error))
            send(': the database is unavailable; reconnect with Last-Event-ID\n\n')
            return end()
          }
          if (page.items.length > 0) {
            woken = false
            cursor = page.last
            return send(page.items.map(changeEvent).join(''))
          }
          if (woken) await sleep(MIN_IDLE_READ_MS)
          const woke = await feed.waitForChange(cursor, heartbeatMs, waitEnds)
          woken = woke === 'changed'
          if (woke === 'timeout') return send(': heartbeat\n\n')
          // Closed: the feed closed, the client left or the key was revoked; the loop's top tells which.
          if (woke === 'closed') continue
        }
      } finally {
        pulling = false
      }
    },
    cancel() {
      finish()
      cancelled.abort()
    },
  })
}

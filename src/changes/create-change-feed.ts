import type { Logger } from '../log/index.ts'
import { describeError } from '../log/index.ts'
import type { Feed } from '../store/store.ts'

/** Why {@link ChangeFeed.waitForChange} returned. */
export type WaitResult = 'changed' | 'timeout' | 'closed'

/**
 * Tells the streams of `GET /changes/stream` when to read the feed again: one per app, shared by all
 * streams, so that a change wakes each stream once and an idle stream costs no query.
 *
 * @example
 * ```ts
 * const feed = createChangeFeed({ store, pollMs: 1000 })
 * await feed.waitForChange(lastSent, 15_000) // 'changed', 'timeout' or 'closed'
 * ```
 */
export interface ChangeFeed {
  /**
   * Resolves `changed` as soon as a position above `after` has committed (at once if one is known),
   * `timeout` after `timeoutMs`, `closed` when the feed closes or `signal` aborts.
   */
  waitForChange(after: number, timeoutMs: number, signal?: AbortSignal): Promise<WaitResult>
  /** Whether {@link ChangeFeed.close} was called. */
  readonly closed: boolean
  /**
   * Calls `listener` once when the feed closes (a stream whose client is not reading ends then too);
   * what it returns stops that. A set of listeners, not an AbortSignal: hundreds of streams listen.
   */
  onClose(listener: () => void): () => void
  /**
   * Takes one of the `maxStreams` places for an open stream, or answers undefined when they are all
   * taken; the place is given back by calling what it returns (once).
   */
  admit(): (() => void) | undefined
  /** How many streams hold a place now. */
  readonly streams: number
  /**
   * Runs one read of the feed for a stream when its turn comes: one read at a time, each after a turn
   * of the event loop, so that streams catching up on a long backlog never hold the event loop for
   * more than one page between two callbacks, whatever their number.
   */
  turn<T>(read: () => Promise<T>): Promise<T>
  /** Ends every wait with `closed` (the entries call it first when they stop) and stops watching. */
  close(): void
}

/**
 * Options of {@link createChangeFeed}.
 *
 * @example
 * ```ts
 * const options: ChangeFeedOptions = { store, pollMs: 1000, log }
 * ```
 */
export interface ChangeFeedOptions {
  store: Feed
  /**
   * How often the last position is read from the database, for changes nobody announced: written by
   * another process on the same SQLite file, or on PostgreSQL while LISTEN's connection was down.
   */
  pollMs?: number
  /** How many streams may be open at once (MAX_CHANGE_STREAMS). */
  maxStreams?: number
  log?: Logger
}

interface Waiter {
  after: number
  done(result: WaitResult): void
}

/**
 * Makes the {@link ChangeFeed} of a store. It learns of changes three ways: the store tells it of its
 * own commits at once, PostgreSQL's NOTIFY tells it of other replicas' commits, and every `pollMs` it
 * reads the last position, which catches anything the other two missed. It starts watching when the
 * first stream waits.
 *
 * @example
 * ```ts
 * const feed = createChangeFeed({ store })
 * ```
 */
export function createChangeFeed({ store, pollMs = 1000, maxStreams = 200, log }: ChangeFeedOptions): ChangeFeed {
  let head = -1
  let closed = false
  let started = false
  let unwatch: (() => void) | undefined
  let poll: ReturnType<typeof setInterval> | undefined
  let reading: Promise<void> | undefined
  let readAgain = false
  let failing = false
  const waiters = new Set<Waiter>()
  const closeListeners = new Set<() => void>()
  let streams = 0
  let turns: Promise<unknown> = Promise.resolve()

  const advance = (position: number) => {
    if (position <= head) return
    head = position
    for (const waiter of waiters) if (waiter.after < head) waiter.done('changed')
  }

  /** Reads the last position; one read at a time, and one more if asked for during it. */
  const refresh = (): void => {
    if (reading) {
      readAgain = true
      return
    }
    reading = store
      .lastPosition()
      .then(
        (position) => {
          if (failing) log?.info('change feed: the database answers again')
          failing = false
          advance(position)
        },
        (error: unknown) => {
          if (!failing) log?.warn('change feed: cannot read the last position', describeError(error))
          failing = true
        },
      )
      .finally(() => {
        reading = undefined
        if (readAgain && !closed) {
          readAgain = false
          refresh()
        }
      })
  }

  const start = () => {
    started = true
    unwatch = store.watchChanges((position) => (position === undefined ? refresh() : advance(position)))
    poll = setInterval(refresh, pollMs)
    // An open stream keeps the process busy anyway; the poll alone must not.
    ;(poll as { unref?(): void }).unref?.()
    refresh()
  }

  return {
    waitForChange(after, timeoutMs, signal) {
      if (closed || signal?.aborted) return Promise.resolve('closed')
      if (!started) start()
      if (head > after) return Promise.resolve('changed')
      return new Promise<WaitResult>((resolve) => {
        const waiter: Waiter = {
          after,
          done(result) {
            waiters.delete(waiter)
            clearTimeout(timer)
            signal?.removeEventListener('abort', aborted)
            resolve(result)
          },
        }
        const aborted = () => waiter.done('closed')
        const timer = setTimeout(() => waiter.done('timeout'), timeoutMs)
        signal?.addEventListener('abort', aborted, { once: true })
        waiters.add(waiter)
      })
    },
    get closed() {
      return closed
    },
    onClose(listener) {
      closeListeners.add(listener)
      return () => closeListeners.delete(listener)
    },
    admit() {
      if (streams >= maxStreams) return undefined
      streams++
      let given = false
      return () => {
        if (given) return
        given = true
        streams--
      }
    },
    get streams() {
      return streams
    },
    turn(read) {
      // setImmediate runs after the I/O of this turn of the event loop: a callback that arrived while
      // the last page was read is answered before the next page is.
      const run = turns.then(() => new Promise((resolve) => setImmediate(resolve))).then(read)
      turns = run.catch(() => {})
      return run
    },
    close() {
      if (closed) return
      closed = true
      clearInterval(poll)
      unwatch?.()
      for (const waiter of waiters) waiter.done('closed')
      for (const listener of closeListeners) listener()
      closeListeners.clear()
    },
  }
}

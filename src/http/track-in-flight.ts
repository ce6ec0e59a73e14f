/** A fetch handler that counts the requests it is working on, and tells when none is left. */
export interface InFlight<I> {
  /** The wrapped handler: serve this instead of the original. */
  fetch(request: Request, info: I): Promise<Response>
  /** How many requests are being handled now. */
  readonly count: number
  /**
   * Resolves `true` as soon as no request is in flight (at once if none is), or `false` after
   * `timeoutMs` if some still are.
   */
  idle(timeoutMs: number): Promise<boolean>
}

/**
 * Wraps a fetch handler so that a runtime entry can wait for the requests in flight before it shuts its
 * server down. The Deno entry needs this: on Deno 2.9, `server.shutdown()` makes the body of every
 * request in flight unreadable at once (denoland/deno#36809), so a callback whose body was still
 * arriving would be answered 500 instead of being finished.
 *
 * @example
 * ```ts
 * const tracked = trackInFlight((request, info) => app.fetch(request, info))
 * const server = Deno.serve(tracked.fetch)
 * // on SIGTERM:
 * await tracked.idle(10_000)
 * await server.shutdown()
 * ```
 */
export function trackInFlight<I>(handle: (request: Request, info: I) => Response | Promise<Response>): InFlight<I> {
  let count = 0
  let waiters: Array<() => void> = []
  return {
    async fetch(request, info) {
      count++
      try {
        return await handle(request, info)
      } finally {
        if (--count === 0) {
          for (const wake of waiters) wake()
          waiters = []
        }
      }
    },
    get count() {
      return count
    },
    idle(timeoutMs) {
      if (count === 0) return Promise.resolve(true)
      return new Promise((resolve) => {
        const timer = setTimeout(() => resolve(false), timeoutMs)
        waiters.push(() => {
          clearTimeout(timer)
          resolve(true)
        })
      })
    },
  }
}

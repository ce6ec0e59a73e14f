/**
 * Thrown by {@link withDeadline} when the work did not finish in time. The work itself goes on.
 */
export class DeadlineError extends Error {
  override readonly name = 'DeadlineError'
}

/**
 * Waits for `work` at most `ms` milliseconds, then rejects with `error()` (a {@link DeadlineError} by
 * default). The work itself goes on.
 *
 * @example
 * ```ts
 * const outcome = await withDeadline(store.record(callback, effect), 1500)
 * ```
 */
export function withDeadline<T>(work: Promise<T>, ms: number, error: () => Error = () => new DeadlineError(`not done within ${ms} ms`)): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(error()), ms)
  })
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer))
}

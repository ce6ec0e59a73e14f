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
export function withDeadline<T>(
  work: Promise<T>,
  ms: number,
  error: () => Error = () => new DeadlineError(`not done within ${ms} ms`),
): Promise<T> {
  // One promise and one timer: it runs twice for every callback.
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(error()), ms)
    work.then(
      (value) => {
        clearTimeout(timer)
        resolve(value)
      },
      (reason: unknown) => {
        clearTimeout(timer)
        reject(reason)
      },
    )
  })
}

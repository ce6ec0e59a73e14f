/**
 * The database could not be reached or a write failed. Callers answer 503 and acknowledge nothing.
 *
 * @example
 * ```ts
 * throw new StoreError('insert into topics failed', { cause: error })
 * ```
 */
export class StoreError extends Error {
  override readonly name = 'StoreError'
}

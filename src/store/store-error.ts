/**
 * The database could not be reached or a write failed. Callers answer 503 and acknowledge nothing.
 *
 * @example
 * ```ts
 * throw new StoreError('insert into topics failed', { cause: error })
 * ```
 */
export class StoreError extends Error {
  override readonly name: string = 'StoreError'
}

/**
 * The driver's code of a database error (`SQLITE_BUSY`, `40001`, `ECONNRESET`), or `''` when it has none.
 *
 * @example
 * ```ts
 * if (/^SQLITE_BUSY/.test(errorCode(error))) retry()
 * ```
 */
export function errorCode(error: unknown): string {
  return String((error as { code?: unknown } | null | undefined)?.code ?? '')
}

/**
 * Reads work but writes fail, for a reason other than their data (a full disk, a read-only file):
 * what `Store.ping` throws after a write of its own failed too. Its cause is the database's error.
 *
 * @example
 * ```ts
 * throw new WritesFailingError('writes are failing', { cause: error })
 * ```
 */
export class WritesFailingError extends StoreError {
  override readonly name = 'WritesFailingError'
}

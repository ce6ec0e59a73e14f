/**
 * How long a transaction that keeps losing conflicts is tried again: as long as SQLite's own busy wait
 * used to block for, and far past the callback's deadline, which answers IM first.
 */
export const CONFLICT_BUDGET_MS = 5000

import { errorCode } from './store-error.ts'

/** Whether a SQLite error says only that another connection holds, or just changed, what it needs. */
export function isSqliteConflict(error: unknown): boolean {
  return /^SQLITE_BUSY/.test(errorCode(error))
}

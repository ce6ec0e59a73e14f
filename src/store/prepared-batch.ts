/**
 * What the two prepared batch writers (sqlite-batch.ts, postgres-batch.ts) promise the store: the
 * common batches (creates, and callbacks that change no topic) committed without Kysely's query
 * building, with the same rows and outcomes as `writeBatch` (write-batch.ts).
 * @module
 */
import type { EventOutcome } from '../contract/read-api.ts'
import type { CounterLockTiming } from './change-positions.ts'
import type { Write } from './write-batch.ts'

/**
 * A batch committed by a {@link PreparedBatchWriter}: an outcome per callback, the last change position
 * it took, and how often it was run again.
 *
 * @example
 * ```ts
 * const { outcomes, last } = await writer.commit(items)
 * ```
 */
export interface Committed {
  outcomes: EventOutcome[]
  /** The last change position it took, or null when it changed no topic. */
  last: number | null
  /** How many times it was run again after losing a conflict. */
  retries: number
  /** When it asked for the change counter's lock and got it, on PostgreSQL, if it took it. */
  lock?: CounterLockTiming
}

/**
 * A writer of the common batches with prepared statements. A failure after COMMIT was sent carries
 * `committing: true`: its outcome is unknown, so a lost connection then is not retried.
 */
export interface PreparedBatchWriter {
  accepts(items: readonly Write[]): boolean
  commit(items: Write[]): Promise<Committed>
}

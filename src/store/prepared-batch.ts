/**
 * What the two prepared batch writers (sqlite-batch.ts, postgres-batch.ts) promise the store: the
 * common batches (creates, and callbacks that change no topic) committed without Kysely's query
 * building, with the same rows and outcomes as `writeBatch` (write-batch.ts).
 * @module
 */
import type { EventOutcome } from '../contract/read-api.ts'
import type { CounterLockTiming } from './change-positions.ts'
import { compareIds, iso, type Result, topicRow, unwrittenResult, type Write } from './write-batch.ts'

/**
 * A batch committed by a {@link PreparedBatchWriter}: an outcome per callback, and the last change
 * position it took.
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

/** Whether a prepared writer writes this batch: creates, and callbacks that change no topic (ignored or rejected). */
export const acceptsPrepared = (items: readonly Write[]): boolean =>
  items.every(({ effect }) => effect.kind === 'createTopic' || effect.kind === 'ignore' || effect.kind === 'reject')

/** A create of a batch: the callback's place in it, and the topic's row. */
export interface PreparedCreate {
  i: number
  row: ReturnType<typeof topicRow>
}

/**
 * A batch as both prepared writers take it: each callback's time, the results of the callbacks that
 * change no topic (the creates' are filled in by the writer), and the creates sorted by TopicId. The
 * sort is stable: the first delivery of a topic stays first, and is the one stored; and every
 * transaction takes the index's locks in one order, so two replicas cannot deadlock.
 */
export function layOut(items: readonly Write[]): { at: string[]; results: Result[]; creates: PreparedCreate[] } {
  const at = items.map((w) => iso(w.callback.receivedAt))
  const results = new Array<Result>(items.length)
  const creates: PreparedCreate[] = []
  items.forEach(({ effect }, i) => {
    if (effect.kind === 'createTopic') creates.push({ i, row: topicRow(effect.topic, at[i]!) })
    else if (effect.kind === 'ignore' || effect.kind === 'reject') results[i] = unwrittenResult(effect)
    else throw new Error(`the prepared path does not write ${effect.kind}`)
  })
  creates.sort((a, b) => compareIds(a.row.topic_id, b.row.topic_id))
  return { at, results, creates }
}

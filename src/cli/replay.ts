import { interpretCallback } from '../callbacks/index.ts'
import type { Store } from '../store/index.ts'

/**
 * What `replay` did to one rejected event.
 *
 * @example
 * ```ts
 * for (const change of report.changed) console.log(change.eventId, change.from, '->', change.to)
 * ```
 */
export interface ReplayChange {
  eventId: number
  command: string
  from: 'rejected'
  to: 'stored' | 'duplicate' | 'ignored' | 'rejected'
  reason: string | null
}

/**
 * The report of one `replay` run.
 *
 * @example
 * ```ts
 * const report: ReplayReport = await replayRejected(store, { dryRun: true })
 * ```
 */
export interface ReplayReport {
  examined: number
  changed: ReplayChange[]
  stillRejected: ReplayChange[]
}

/**
 * Re-runs every rejected event through the current handlers, after a fix. An event that now passes
 * has its effect applied and its outcome updated, in one transaction; one that still fails is left as
 * it was. With `dryRun`, nothing is written.
 *
 * @example
 * ```ts
 * const report = await replayRejected(store, { now: Date.now })
 * console.log(`${report.changed.length} of ${report.examined} rejected events now pass`)
 * ```
 */
export async function replayRejected(
  store: Store,
  { now = Date.now, dryRun = false, pageSize = 200 }: { now?: () => number; dryRun?: boolean; pageSize?: number } = {},
): Promise<ReplayReport> {
  const report: ReplayReport = { examined: 0, changed: [], stillRejected: [] }
  let after = 0
  for (;;) {
    const events = await store.listRejected(after, pageSize)
    if (events.length === 0) return report
    for (const event of events) {
      after = event.id
      report.examined++
      const { effect, refusal } = interpretCallback(event.command, event.query, event.body)
      const base = { eventId: event.id, command: event.command, from: 'rejected' as const }
      if (refusal) {
        report.stillRejected.push({ ...base, to: 'rejected', reason: refusal.message })
        continue
      }
      const to = dryRun
        ? effect.kind === 'ignore'
          ? 'ignored'
          : 'stored'
        : await store.replay(event.id, effect, now())
      report.changed.push({ ...base, to, reason: null })
    }
  }
}

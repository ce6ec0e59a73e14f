import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { openSqliteStore } from '../../src/store/index.ts'
import { topicBody } from '../fixtures/index.ts'
import { API_TOKEN } from '../helpers/app.ts'
import { allTopicIds, sendSigned, startService } from '../helpers/service.ts'

// Event log retention on the real service: a database holding 40-day-old events, pruned at startup
// while IM's callbacks keep arriving. Old events go (unresolved rejected ones stay), nothing
// acknowledged is lost, and every callback sent meanwhile is answered OK, well within IM's 2 s.

const scratch = mkdtempSync(join(tmpdir(), 'imsync-retention-'))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

const DAY_MS = 86_400_000
const OLD = 12_000
const OLD_REJECTED = 50

/** Every event of the log, through the read API. */
async function allEvents(url: string) {
  const events: Array<{ EventId: number; ReceivedAt: string; Outcome: string; CallbackCommand: string }> = []
  for (let cursor = '0'; ; ) {
    const res = await fetch(`${url}/events?limit=500&cursor=${cursor}`, {
      headers: { authorization: `Bearer ${API_TOKEN}` },
    })
    const page = (await res.json()) as { items: typeof events; nextCursor: string | null }
    events.push(...page.items)
    if (page.nextCursor === null) return events
    cursor = page.nextCursor
  }
}

describe('event log retention (EVENT_RETENTION_DAYS=30) with callbacks flowing', () => {
  it('prunes old events in steps while callbacks are answered, keeping unresolved rejected ones', async () => {
    const file = join(scratch, 'retention.db')
    // The log of a service that has run for a while: old messages (metadata only) and old rejections.
    const seed = await openSqliteStore(file)
    const body = new TextEncoder().encode('{"CallbackCommand":"Group.CallbackAfterSendMsg"}')
    const old = Date.now() - 40 * DAY_MS
    await Promise.all(
      Array.from({ length: OLD + OLD_REJECTED }, (_, i) =>
        seed.record(
          { receivedAt: old + i, command: 'Group.CallbackAfterSendMsg', query: {}, body, keepBody: i >= OLD },
          i < OLD ? { kind: 'ignore' } : { kind: 'reject', reason: 'an old bug' },
        ),
      ),
    )
    await seed.close()

    const service = await startService({ env: { DATABASE_URL: `file:${file}`, EVENT_RETENTION_DAYS: '30' } })
    try {
      const acknowledged: string[] = []
      const failures: number[] = []
      const latencies: number[] = []
      let sentBeforePruned = 0
      let pruned = false
      void service.waitForLog('"msg":"events pruned"').then(
        () => (pruned = true),
        () => {},
      )
      // Four senders, one callback after another each, until pruning is over and a bit more.
      let n = 0
      await Promise.all(
        Array.from({ length: 4 }, async () => {
          for (let after = 0; after < 20; ) {
            const topic = topicBody(`flow_${n++}`)
            const started = performance.now()
            const { status } = await sendSigned(service.url, topic)
            latencies.push(performance.now() - started)
            if (status === 200) acknowledged.push(topic.TopicId)
            else failures.push(status)
            if (pruned) after++
            else sentBeforePruned++
            if (latencies.length > 20_000) throw new Error('pruning never finished')
          }
        }),
      )
      latencies.sort((a, b) => a - b)
      console.log(
        `retention: ${latencies.length} callbacks while pruning ${OLD} events, ${sentBeforePruned} of them before it ended; ` +
          `p50 ${latencies[Math.floor(latencies.length / 2)]!.toFixed(1)} ms, max ${latencies.at(-1)!.toFixed(1)} ms`,
      )
      expect(failures).toEqual([])
      expect(sentBeforePruned).toBeGreaterThan(0)

      const line = JSON.parse(service.logs.find((l) => l.includes('"msg":"events pruned"'))!) as {
        deleted: number
        retentionDays: number
        rejected: string
      }
      expect(line).toMatchObject({ deleted: OLD, retentionDays: 30, rejected: 'kept' })
      const events = await allEvents(service.url)
      const cutoff = Date.now() - 30 * DAY_MS
      expect(events.filter((e) => Date.parse(e.ReceivedAt) < cutoff).map((e) => e.Outcome)).toEqual(
        Array(OLD_REJECTED).fill('rejected'),
      )
      expect(events.filter((e) => e.CallbackCommand === 'Group.CallbackAfterCreateTopic')).toHaveLength(
        acknowledged.length,
      )
      const stored = await allTopicIds(service.url)
      expect(acknowledged.filter((id) => !stored.has(id))).toEqual([])
      const metrics = await (
        await fetch(`${service.url}/metrics`, { headers: { authorization: `Bearer ${API_TOKEN}` } })
      ).text()
      expect(metrics).toContain(`im_events_pruned_total ${OLD}`)
    } finally {
      await service.stop()
    }
  }, 120_000)
})

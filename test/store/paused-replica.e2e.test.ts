import pg from 'pg'
import { afterEach, describe, expect, it } from 'vitest'
import { IDLE_IN_TRANSACTION_MS } from '../../src/store/postgres.ts'
import { topicBody } from '../fixtures/index.ts'
import { createThrowawayDatabase, postgresAvailable, type ThrowawayDatabase } from '../helpers/postgres.ts'
import { allTopicIds, type RunningService, sendSigned, startService } from '../helpers/service.ts'

// A replica stopped (SIGSTOP, as a frozen VM or a partition would) while it holds the change
// counter's row lock must not stop the other replicas' topic writes for longer than PostgreSQL's
// idle-in-transaction timeout on the service's sessions; and when it resumes, nothing acknowledged
// is lost and the feed has no gap.

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Runs `work` on a client of its own. */
async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return await work(client)
  } finally {
    await client.end()
  }
}

/** Whether another session holds the change counter's row lock right now. */
async function counterLocked(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    await client.query('begin')
    await client.query('select last from change_counter where id = 1 for update nowait')
    return false
  } catch (error) {
    if ((error as { code?: string }).code === '55P03') return true
    throw error
  } finally {
    await client.query('rollback').catch(() => {})
    await client.end()
  }
}

describe.skipIf(!postgresAvailable)(
  'a replica paused inside its commit, on PostgreSQL (skipped only without a server)',
  () => {
    const services: RunningService[] = []
    let db: ThrowawayDatabase | undefined
    afterEach(async () => {
      for (const service of services) {
        service.child.kill('SIGCONT')
        await service.stop()
      }
      services.length = 0
      await db?.drop()
    })

    it('stops the others for at most the idle-in-transaction timeout, and loses nothing', async () => {
      db = await createThrowawayDatabase()
      const env = { DATABASE_URL: db.url, LOG_LEVEL: 'info' }
      const [paused, other] = await Promise.all([startService({ env }), startService({ env })])
      services.push(paused!, other!)
      const acknowledged = new Set<string>()
      let n = 0
      const create = async (service: RunningService) => {
        const body = topicBody(`paused-${n++}`)
        const { status } = await sendSigned(service.url, body).catch(() => ({ status: 0 }))
        if (status === 200) acknowledged.add(body.TopicId)
        return status
      }

      // A commit holds the counter's lock for a moment only; in this throwaway database each update of
      // the counter takes 20 ms more (a trigger), so that stopping a busy replica catches it holding
      // the lock in a few tries rather than by luck. It is what a slow disk or a loaded server does.
      await withClient(db.url, (client) =>
        client.query(`
          create function slow_counter() returns trigger language plpgsql as $$
            begin perform pg_sleep(0.02); return new; end $$;
          create trigger slow_counter after update on change_counter for each row execute function slow_counter();
        `),
      )
      // Keep the replica busy with creates, and stop it until it is caught holding the counter's lock.
      let caught = false
      const trying = performance.now()
      while (!caught && performance.now() - trying < 60_000) {
        const load = Array.from({ length: 20 }, () => create(paused!))
        await sleep(Math.random() * 10)
        paused!.child.kill('SIGSTOP')
        await sleep(20)
        caught = await counterLocked(db.url)
        if (!caught) {
          paused!.child.kill('SIGCONT')
          await Promise.all(load)
        }
      }
      expect(caught, 'the paused replica was caught holding the counter lock').toBe(true)

      // While it stays paused, the other replica answers creates: at first 503 (its callback deadline is
      // 1.5 s), then OK once PostgreSQL has ended the paused session.
      const stoppedAt = performance.now()
      const answers: Array<{ at: number; status: number }> = []
      while (performance.now() - stoppedAt < 6000) {
        const status = await create(other!)
        answers.push({ at: performance.now() - stoppedAt, status })
      }
      const firstOk = answers.find((a) => a.status === 200)
      expect(firstOk, JSON.stringify(answers.slice(0, 10))).toBeDefined()
      expect(firstOk!.at).toBeLessThan(IDLE_IN_TRANSACTION_MS + 1500)
      expect(answers.filter((a) => a.at > IDLE_IN_TRANSACTION_MS + 1500).every((a) => a.status === 200)).toBe(true)
      console.log(
        `paused replica: first OK on the other after ${Math.round(firstOk!.at)} ms; ${answers.filter((a) => a.status === 200).length} of ${answers.length} creates OK in 6 s`,
      )

      // It resumes: what it had in flight runs again or fails; nothing acknowledged is lost.
      paused!.child.kill('SIGCONT')
      await sleep(2000)
      for (let i = 0; i < 10; i++) expect(await create(paused!)).toBe(200)
      const stored = await allTopicIds(other!.url)
      for (const topicId of acknowledged) expect(stored.has(topicId), topicId).toBe(true)

      // The feed has no gap: positions 1..N, each once.
      const client = new pg.Client({ connectionString: db.url })
      await client.connect()
      const { rows } = await client.query<{ n: string; max: string; distinct: string }>(
        'select count(*) as n, max(position) as max, count(distinct position) as distinct from topics',
      )
      const { rows: counter } = await client.query<{ last: string }>('select last from change_counter where id = 1')
      await client.end()
      expect(Number(rows[0]!.distinct)).toBe(Number(rows[0]!.n))
      expect(Number(rows[0]!.max)).toBe(Number(counter[0]!.last))
      expect(Number(rows[0]!.n)).toBe(Number(counter[0]!.last))
    }, 120_000)
  },
)

import { afterAll, describe, expect, it } from 'vitest'
import { topicBody } from '../fixtures/index.ts'
import { API_TOKEN } from '../helpers/app.ts'
import { createThrowawayDatabase, postgresAvailable, type ThrowawayDatabase } from '../helpers/postgres.ts'
import { type RunningService, sendSigned, startService } from '../helpers/service.ts'
import { type Receiver, startReceiver } from '../helpers/webhook-receiver.ts'

// Two replicas on one PostgreSQL database: one delivers at a time, under a lease; when it is killed,
// the other takes over from the first change not acknowledged.

if (!postgresAvailable) console.warn('SKIPPED: webhook deliveries across replicas need PostgreSQL on 127.0.0.1:5432')

describe.skipIf(!postgresAvailable)('webhook deliveries with two replicas on PostgreSQL', () => {
  let db: ThrowawayDatabase | undefined
  const services: RunningService[] = []
  let receiver: Receiver | undefined
  afterAll(async () => {
    await Promise.all(services.map((s) => s.stop()))
    await receiver?.close()
    await db?.drop()
  })

  it('delivers each change once, in order, and the other replica takes over when the holder is killed', async () => {
    db = await createThrowawayDatabase()
    const env = { DATABASE_URL: db.url, WEBHOOK_ALLOW_PRIVATE_URLS: 'true', LOG_LEVEL: 'info' }
    const [a, b] = [await startService({ env }), await startService({ env })] as const
    services.push(a, b)
    receiver = await startReceiver()
    const made = await fetch(`${a.url}/subscriptions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${API_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ url: receiver.url }),
    })
    expect(made.status).toBe(201)
    const sub = (await made.json()) as { id: string; secret: string }
    receiver.secrets = [sub.secret]

    let n = 0
    const send = async (service: RunningService) => {
      const body = topicBody(`pg-wh-${++n}`)
      expect((await sendSigned(service.url, body)).answer.ErrorCode).toBe(0)
      return body.TopicId
    }
    const sent: string[] = []
    // Callbacks to both replicas, some at once.
    for (let i = 0; i < 10; i++) sent.push(...(await Promise.all([send(a), send(b)])))
    await receiver.waitFor((got) => got.length >= 20)
    await new Promise((resolve) => setTimeout(resolve, 500))
    const delivered = () => receiver!.received.map((d) => d.event!.data)
    // Exactly once each in the normal case, in position order, every one verified.
    expect(
      delivered()
        .map((c) => c.topic.TopicId)
        .sort(),
    ).toEqual([...sent].sort())
    const order = delivered().map((c) => c.position)
    expect(order).toEqual([...order].sort((x, y) => x - y))
    expect(receiver.received.every((d) => d.verifiedBy.length === 1)).toBe(true)
    const holders = services.filter((s) => s.logs.some((l) => l.includes('"msg":"delivering webhooks"')))
    expect(holders).toHaveLength(1)
    const [holder] = holders as [RunningService]
    const survivor = holder === a ? b : a

    holder.child.kill('SIGKILL')
    await holder.exited
    services.splice(services.indexOf(holder), 1)
    const later: string[] = []
    for (let i = 0; i < 10; i++) later.push(await send(survivor))
    // The lease runs out (15 s) and the survivor takes it, from the first change not acknowledged.
    await receiver.waitFor((got) => new Set(got.map((d) => d.id)).size >= 30, 40_000)
    await survivor.waitForLog('"msg":"delivering webhooks"')
    const unique = [...new Map(receiver.received.map((d) => [d.id, d.event!.data])).values()]
    expect(unique.map((c) => c.topic.TopicId).sort()).toEqual([...sent, ...later].sort())
    const all = receiver.received.map((d) => d.event!.data.position)
    // A repeat (a change the killed holder sent but did not record) comes again at once, right after
    // itself: the positions never go back.
    for (let i = 1; i < all.length; i++) expect(all[i]!).toBeGreaterThanOrEqual(all[i - 1]!)
  }, 90_000)
})

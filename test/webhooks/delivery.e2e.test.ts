import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { verifyDelivery } from '../../src/client/index.ts'
import { sampleTopicDestroyed, topicBody } from '../fixtures/index.ts'
import { API_TOKEN } from '../helpers/app.ts'
import { block } from '../helpers/doc-blocks.ts'
import { freePort, ROOT, type RunningService, sendSigned, startService } from '../helpers/service.ts'
import { type Received, type Receiver, startReceiver } from '../helpers/webhook-receiver.ts'

// Deliveries through the real service to real receivers on 127.0.0.1, each delivery verified with the
// npm package `standardwebhooks`, as receivers verify them.

/** A database of its own for each service here: no other suite's replica may take the delivery lease. */
const scratch = mkdtempSync(join(tmpdir(), 'imsync-webhooks-'))
const freshDatabase = (name: string) => `file:${join(scratch, `${name}.db`)}`

const ENV = {
  WEBHOOK_ALLOW_PRIVATE_URLS: 'true',
  WEBHOOK_RETRY_SCHEDULE: '0.2,0.2,0.2',
  WEBHOOK_SECRET_GRACE_SECONDS: '3',
  LOG_LEVEL: 'info',
}

let service: RunningService
const receivers: Receiver[] = []
beforeAll(async () => {
  service = await startService({ env: { ...ENV, DATABASE_URL: freshDatabase('main') } })
})
afterAll(async () => {
  await service?.stop()
  await Promise.all(receivers.map((r) => r.close()))
  rmSync(scratch, { recursive: true, force: true })
})

const api = async (path: string, init: { method?: string; body?: unknown } = {}) => {
  const res = await fetch(`${service.url}${path}`, {
    method: init.method ?? 'GET',
    headers: { authorization: `Bearer ${API_TOKEN}`, 'content-type': 'application/json' },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  })
  return { status: res.status, body: (await res.json().catch(() => null)) as any }
}

async function subscribe(receiver: Receiver, options: Record<string, unknown> = {}) {
  const { status, body } = await api('/subscriptions', { method: 'POST', body: { url: receiver.url, ...options } })
  expect(status, JSON.stringify(body)).toBe(201)
  receiver.secrets = [body.secret]
  return body as { id: string; secret: string; position: number }
}

async function receiver(behaviour?: Parameters<typeof startReceiver>[0]) {
  const made = await startReceiver(behaviour)
  receivers.push(made)
  return made
}

let topics = 0
/** Creates `n` topics (in `GroupId`), one after another; resolves with their IDs. */
async function createTopics(n: number, GroupId = '@TGS#2J4SZEAEL'): Promise<string[]> {
  const ids: string[] = []
  for (let i = 0; i < n; i++) {
    const body = topicBody(`wh${++topics}`, { GroupId })
    expect((await sendSigned(service.url, body)).answer.ErrorCode).toBe(0)
    ids.push(body.TopicId)
  }
  return ids
}

/** The changes of the feed after `after`, as GET /changes gives them. */
async function feedAfter(after: number) {
  const { body } = await api(`/changes?after=${after}&limit=500`)
  return body.items as Array<{ position: number; kind: string; topic: { TopicId: string; GroupId: string } }>
}

const positions = (received: Received[]) => received.map((r) => r.event!.data.position)

describe('webhook deliveries', () => {
  it('delivers every change in position order, each signed and verified, its body one item of GET /changes', async () => {
    const r = await receiver()
    const sub = await subscribe(r)
    await createTopics(10)
    // Ten more at once, from ten connections: the feed orders them, and so must the deliveries.
    await Promise.all(Array.from({ length: 10 }, () => createTopics(1)))
    const feed = await feedAfter(sub.position)
    expect(feed).toHaveLength(20)
    await r.waitFor((got) => got.length >= 20)
    expect(r.received.every((d) => d.verifiedBy.length === 1)).toBe(true)
    expect(positions(r.received)).toEqual(feed.map((c) => c.position))
    for (const [i, d] of r.received.entries()) {
      expect(d.event).toEqual({ type: `topic.${feed[i]!.kind}`, timestamp: (feed[i] as any).at, data: feed[i] })
      expect(d.id).toBe(`msg_${sub.id.slice(4)}_${feed[i]!.position}`)
      expect(d.headers['content-type']).toBe('application/json')
    }
    // The client's helper proves the same delivery, and refuses it under another secret or altered.
    const first = r.received[0]!
    expect(verifyDelivery(sub.secret, first.body, first.headers as Record<string, string>).data.position).toBe(
      feed[0]!.position,
    )
    expect(() => verifyDelivery(sub.secret, first.body.replace('topic', 'tOpic'), first.headers as any)).toThrow(
      /not proven/,
    )
    const { body: status } = await api(`/subscriptions/${sub.id}`)
    expect(status).toMatchObject({ position: feed.at(-1)!.position, lag: { changes: 0 }, failures: 0 })
  })

  it('retries a failing change with the same webhook-id, then sends the rest in order', async () => {
    const r = await receiver((_, count) => ({ status: count < 3 ? 503 : 200 }))
    const sub = await subscribe(r)
    await createTopics(3)
    const feed = await feedAfter(sub.position)
    await r.waitFor((got) => got.filter((d) => d.status === 200).length >= 3)
    const ids = r.received.map((d) => `${d.id}:${d.status}`)
    const [a, b, c] = feed.map((change) => `msg_${sub.id.slice(4)}_${change.position}`)
    // Each change fails three times before it is acknowledged, and the next waits for it.
    expect(ids).toEqual([
      `${a}:503`,
      `${a}:503`,
      `${a}:503`,
      `${a}:200`,
      `${b}:503`,
      `${b}:503`,
      `${b}:503`,
      `${b}:200`,
      `${c}:503`,
      `${c}:503`,
      `${c}:503`,
      `${c}:200`,
    ])
    expect(r.received.every((d) => d.verifiedBy.length === 1)).toBe(true)
    const { body: attempts } = await api(`/subscriptions/${sub.id}/attempts`)
    expect(attempts.items).toHaveLength(12)
    expect(attempts.items[0]).toMatchObject({ position: feed[2]!.position, statusCode: 200, error: null })
    expect(attempts.items[1]).toMatchObject({ statusCode: 503, error: 'HTTP 503: refused 503' })
  })

  it('disables a subscription whose retries run out, skipping nothing, and enable delivers what it missed', async () => {
    let up = false
    const r = await receiver(() => ({ status: up ? 200 : 500 }))
    const sub = await subscribe(r)
    const [first] = await createTopics(1)
    await r.waitFor((got) => got.length >= 4, 20_000, 'four attempts')
    await expect.poll(async () => (await api(`/subscriptions/${sub.id}`)).body.status).toBe('disabled')
    const { body: disabled } = await api(`/subscriptions/${sub.id}`)
    expect(disabled.disabledReason).toMatch(/^4 attempts at position \d+ failed; the last: HTTP 500/)
    expect(disabled.position).toBe(sub.position)
    await service.waitForLog('"msg":"webhook subscription disabled"')
    const { body: metrics } = await fetch(`${service.url}/metrics`, {
      headers: { authorization: `Bearer ${API_TOKEN}` },
    }).then(async (res) => ({ body: await res.text() }))
    expect(metrics).toContain(`im_webhook_disabled_total{subscription="${sub.id}"} 1`)
    expect(metrics).toContain(`im_webhook_attempts_total{subscription="${sub.id}",outcome="http_error"} 4`)

    // While disabled, nothing is sent; the changes it misses wait for it.
    const missed = await createTopics(3)
    await new Promise((resolve) => setTimeout(resolve, 1500))
    expect(r.received).toHaveLength(4)
    up = true
    const { status, body: enabled } = await api(`/subscriptions/${sub.id}/enable`, { method: 'POST' })
    expect(status).toBe(200)
    expect(enabled).toMatchObject({ status: 'active', failures: 0, disabledReason: null })
    await r.waitFor((got) => got.filter((d) => d.status === 200).length >= 4)
    expect(r.acknowledged().map((d) => d.event!.data.topic.TopicId)).toEqual([first, ...missed])
  })

  it('filters by groupIds and by kinds', async () => {
    const byGroup = await receiver()
    const byKind = await receiver()
    const inGroup = await subscribe(byGroup, { groupIds: ['@TGS#GROUPA'] })
    await subscribe(byKind, { kinds: ['deleted'] })
    const [a1] = await createTopics(1, '@TGS#GROUPA')
    const [b1, b2] = await createTopics(2, '@TGS#GROUPB')
    const [a2] = await createTopics(1, '@TGS#GROUPA')
    const destroy = { ...sampleTopicDestroyed, GroupId: '@TGS#GROUPB', TopicIdList: [b2!] }
    expect((await sendSigned(service.url, destroy)).answer.ErrorCode).toBe(0)
    await byGroup.waitFor((got) => got.length >= 2)
    await byKind.waitFor((got) => got.length >= 1)
    // The filtered-out changes still move the cursor: the subscription is caught up.
    await expect.poll(async () => (await api(`/subscriptions/${inGroup.id}`)).body.lag.changes).toBe(0)
    expect(byGroup.received.map((d) => d.event!.data.topic.TopicId)).toEqual([a1, a2])
    expect(byKind.received.map((d) => [d.event!.type, d.event!.data.topic.TopicId])).toEqual([['topic.deleted', b2]])
    expect(b1).toBeDefined()
  })

  it('signs with both secrets during a rotation, and with the new one alone after the grace period', async () => {
    const r = await receiver()
    const sub = await subscribe(r)
    const { body: rotated } = await api(`/subscriptions/${sub.id}/rotate-secret`, { method: 'POST' })
    r.secrets = [sub.secret, rotated.secret]
    await createTopics(1)
    await r.waitFor((got) => got.length >= 1)
    expect(r.received[0]!.signature.split(' ')).toHaveLength(2)
    expect(r.received[0]!.verifiedBy).toEqual([0, 1])
    await new Promise((resolve) => setTimeout(resolve, 3200))
    await createTopics(1)
    await r.waitFor((got) => got.length >= 2)
    expect(r.received[1]!.signature.split(' ')).toHaveLength(1)
    expect(r.received[1]!.verifiedBy).toEqual([1])
  })

  it('disables at once on 410 Gone', async () => {
    const r = await receiver(() => ({ status: 410 }))
    const sub = await subscribe(r)
    await createTopics(2)
    await expect.poll(async () => (await api(`/subscriptions/${sub.id}`)).body.status).toBe('disabled')
    expect(r.received).toHaveLength(1)
    expect((await api(`/subscriptions/${sub.id}`)).body.disabledReason).toBe('the endpoint answered 410 Gone')
  })

  it('does not let a slow endpoint hold up another subscription', async () => {
    const slow = await receiver(() => ({ status: 200, delayMs: 9000 }))
    const fast = await receiver()
    await subscribe(slow)
    await subscribe(fast)
    await createTopics(5)
    await fast.waitFor((got) => got.length >= 5)
    // All five reached the fast endpoint while the slow one still holds its first.
    expect(slow.arrivals).toHaveLength(1)
    expect(slow.received).toHaveLength(0)
  })
})

describe("the README's receiver", () => {
  it('verifies each delivery with standardwebhooks, acknowledges it, and refuses a forged one', async () => {
    // In the repository, so that `standardwebhooks` resolves from node_modules as in a project of yours.
    mkdirSync(join(ROOT, 'artifacts'), { recursive: true })
    const dir = mkdtempSync(join(ROOT, 'artifacts', 'receiver-'))
    const file = join(dir, 'receiver.mjs')
    writeFileSync(file, block('webhook-receiver'))
    const port = await freePort()
    const url = `http://127.0.0.1:${port}/`
    const { body: made } = await api('/subscriptions', { method: 'POST', body: { url } })
    const child = spawn(process.execPath, [file], {
      env: { PATH: process.env.PATH, WEBHOOK_SECRET: made.secret, PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk))
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (out += chunk))
    try {
      await expect
        .poll(() =>
          fetch(url, { method: 'POST' }).then(
            (r) => r.status,
            () => 0,
          ),
        )
        .toBe(401)
      const [id] = await createTopics(1)
      await expect
        .poll(() => out, { timeout: 10_000 })
        .toMatch(new RegExp(`^topic\\.created \\d+ ${id!.replace(/[#@]/g, '.')}\\n$`))
      await expect.poll(async () => (await api(`/subscriptions/${made.id}`)).body.lag.changes).toBe(0)
      // A delivery signed with another secret is refused: the service's own attempt log shows 204 only.
      const forged = await fetch(url, {
        method: 'POST',
        headers: {
          'webhook-id': 'msg_forged_1',
          'webhook-timestamp': String(Math.floor(Date.now() / 1000)),
          'webhook-signature': 'v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=',
        },
        body: '{"type":"topic.deleted"}',
      })
      expect(forged.status).toBe(401)
      const { body: attempts } = await api(`/subscriptions/${made.id}/attempts`)
      expect(attempts.items.map((a: { statusCode: number }) => a.statusCode)).toEqual([204])
    } finally {
      child.kill()
      await api(`/subscriptions/${made.id}`, { method: 'DELETE' })
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('webhook deliveries across a crash', () => {
  it('loses nothing when the service is killed mid-delivery and restarted (repeats keep their webhook-id)', async () => {
    const env = { ...ENV, DATABASE_URL: freshDatabase('crash') }
    let crashing = await startService({ env })
    const saved = service
    service = crashing
    try {
      // Each delivery is held for a while, so that the kill lands while one is in flight.
      const r = await receiver(() => ({ status: 200, delayMs: 300 }))
      const sub = await subscribe(r)
      const ids = await createTopics(6)
      await r.waitFor((got) => got.length >= 2)
      const inFlight = r.arrivals.length
      crashing.child.kill('SIGKILL')
      await crashing.exited
      expect(r.arrivals.length).toBeGreaterThanOrEqual(inFlight)
      service = crashing = await startService({ env })
      await r.waitFor((got) => new Set(got.map((d) => d.id)).size >= 6)
      const ordered = r.received.map((d) => d.event!.data.topic.TopicId)
      // Every change arrived, in order; a repeat is the same change with the same webhook-id, right after it.
      expect([...new Set(ordered)]).toEqual(ids)
      expect(r.received.every((d) => d.verifiedBy.length === 1)).toBe(true)
      const byId = new Map<string, string>()
      for (const d of r.received) {
        if (byId.has(d.id)) expect(byId.get(d.id)).toBe(d.body)
        byId.set(d.id, d.body)
      }
      await expect.poll(async () => (await api(`/subscriptions/${sub.id}`)).body.lag.changes).toBe(0)
    } finally {
      await crashing.stop()
      service = saved
    }
  })
})

describe('webhook deliveries on Deno', () => {
  it('delivers from the Deno entry too, signed and in order', async () => {
    const deno = await startService({ runtime: 'deno', env: { ...ENV, DATABASE_URL: freshDatabase('deno') } })
    const saved = service
    service = deno
    try {
      const r = await receiver()
      await subscribe(r)
      const ids = await createTopics(3)
      await r.waitFor((got) => got.length >= 3)
      expect(r.received.map((d) => d.event!.data.topic.TopicId)).toEqual(ids)
      expect(r.received.every((d) => d.verifiedBy.length === 1)).toBe(true)
    } finally {
      await deno.stop()
      service = saved
    }
  })
})

import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Webhook } from 'standardwebhooks'
import { afterEach, describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/config/index.ts'
import { nonPublicKind } from '../../src/webhooks/address-policy.ts'
import { MAX_ANSWER_BYTES, postDelivery } from '../../src/webhooks/post-delivery.ts'
import { newSecret, sign } from '../../src/webhooks/signature.ts'

// One delivery's POST against real local servers, the address policy, the signature as
// `standardwebhooks` checks it, and the retry schedule's setting.

let server: Server | undefined
let requests = 0
afterEach(async () => {
  server?.closeAllConnections()
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)))
  server = undefined
  requests = 0
})

async function serve(handler: Parameters<typeof createServer>[1]): Promise<string> {
  server = createServer((req, res) => {
    requests++
    handler!(req, res)
  })
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`
}

const send = (url: string, options: { allowPrivate?: boolean; timeoutMs?: number } = {}) =>
  postDelivery({
    url,
    headers: {},
    body: '{}',
    timeoutMs: options.timeoutMs ?? 2000,
    allowPrivate: options.allowPrivate ?? true,
  })

describe('postDelivery', () => {
  it('takes any 2xx as acknowledged', async () => {
    const url = await serve((_, res) => res.writeHead(202).end('queued'))
    expect(await send(url)).toMatchObject({ statusCode: 202, error: null, answer: 'queued' })
  })

  it('does not follow a redirect: a 3xx is a failure', async () => {
    let followed = false
    const url = await serve((req, res) => {
      if (req.url === '/elsewhere') followed = true
      res.writeHead(302, { location: '/elsewhere' }).end()
    })
    expect(await send(url)).toMatchObject({ statusCode: 302, error: 'HTTP 302' })
    expect(followed).toBe(false)
  })

  it(`reads at most ${MAX_ANSWER_BYTES} bytes of an answer, however long it is`, async () => {
    const url = await serve((_, res) => {
      res.writeHead(500)
      // 64 MiB that is never read whole: the connection is dropped after the cap.
      const chunk = Buffer.alloc(64 * 1024, 'x')
      let sent = 0
      const more = () => {
        while (sent < 1024 && res.write(chunk)) sent++
        if (sent < 1024) res.once('drain', more)
        else res.end()
      }
      more()
    })
    const outcome = await send(url)
    expect(outcome).toMatchObject({ statusCode: 500, error: 'HTTP 500' })
    expect(outcome.answer.length).toBe(MAX_ANSWER_BYTES)
  })

  it('gives up after timeoutMs, saying so', async () => {
    const url = await serve(() => {})
    const outcome = await send(url, { timeoutMs: 300 })
    expect(outcome).toMatchObject({ statusCode: null, error: 'no answer within 300 ms' })
    expect(outcome.durationMs).toBeGreaterThanOrEqual(290)
  })

  it('reports a refused connection', async () => {
    const url = await serve(() => {})
    await new Promise((resolve) => server!.close(resolve))
    server = undefined
    expect((await send(url)).error).toMatch(/ECONNREFUSED/)
  })

  it('refuses a private address at connect time, without sending anything', async () => {
    const url = await serve((_, res) => res.writeHead(200).end())
    const outcome = await send(url.replace('127.0.0.1', 'localhost'), { allowPrivate: false })
    expect(outcome).toMatchObject({ statusCode: null })
    expect(outcome.error).toMatch(/localhost resolves to (127\.0\.0\.1|::1), which is a loopback address/)
    expect(requests).toBe(0)
  })
})

describe('the address policy', () => {
  it.each([
    ['8.8.8.8', undefined],
    ['172.32.0.1', undefined],
    ['100.63.255.255', undefined],
    ['2606:4700:4700::1111', undefined],
    ['127.1.2.3', 'a loopback address'],
    ['0.0.0.0', 'a "this network" address'],
    ['172.31.255.255', 'a private address'],
    ['100.64.0.1', 'a shared (carrier-grade NAT) address'],
    ['169.254.169.254', 'a link-local address'],
    ['::', 'the unspecified address'],
    ['fe80::1', 'a link-local address'],
    ['fc12::1', 'a unique-local address'],
    ['ff02::1', 'a multicast address'],
    ['::ffff:10.0.0.1', 'a private address'],
    ['64:ff9b::a9fe:a9fe', 'a link-local address'],
    ['::ffff:8.8.8.8', undefined],
  ])('%s is %s', (address, kind) => {
    expect(nonPublicKind(address)).toBe(kind)
  })
})

describe('the signature', () => {
  it('is one that standardwebhooks verifies, for each secret it is made with', () => {
    const [a, b] = [newSecret(), newSecret()]
    const timestamp = Math.floor(Date.now() / 1000)
    const body = JSON.stringify({ type: 'topic.created', data: { position: 1, text: 'ü €' } })
    const headers = {
      'webhook-id': 'msg_x_1',
      'webhook-timestamp': String(timestamp),
      'webhook-signature': sign([a, b], 'msg_x_1', timestamp, body),
    }
    expect(new Webhook(a).verify(body, headers)).toEqual(JSON.parse(body))
    expect(new Webhook(b).verify(body, headers)).toEqual(JSON.parse(body))
    expect(() => new Webhook(newSecret()).verify(body, headers)).toThrow(/No matching signature/)
    expect(() => new Webhook(a).verify(`${body} `, headers)).toThrow(/No matching signature/)
  })
})

describe('WEBHOOK_RETRY_SCHEDULE', () => {
  const load = (value: string) => loadConfig({ IM_SDKAPPID: '1400000000', WEBHOOK_RETRY_SCHEDULE: value }).webhooks
  it('takes seconds between attempts, fractions allowed', () => {
    expect(load('5, 300,0.25').retrySchedule).toEqual([5, 300, 0.25])
    expect(load('').retrySchedule).toEqual([5, 300, 1800, 7200, 18000, 36000, 36000])
  })
  it.each([
    ['5,soon', '"soon" is not a number of seconds from 0 to 604800'],
    ['5,,6', '"" is not a number of seconds'],
    ['-1', '"-1" is not a number of seconds'],
    ['700000', '"700000" is not a number of seconds from 0 to 604800'],
    [Array(21).fill('1').join(','), 'may hold at most 20 retries, got 21'],
  ])('refuses %s, naming the setting and the item', (value, text) => {
    expect(() => load(value)).toThrow(`WEBHOOK_RETRY_SCHEDULE`)
    expect(() => load(value)).toThrow(text)
  })
})

import { createServer, type RequestListener, type Server } from 'node:http'
import { type AddressInfo, connect } from 'node:net'
import { getRequestListener } from '@hono/node-server'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { assembleApp } from '../../src/app.ts'
import { loadConfig } from '../../src/config/index.ts'
import { answerCallbacksOnNode } from '../../src/http/node-callbacks.ts'
import { createLogger } from '../../src/log/index.ts'
import { openSqliteStore, type Store } from '../../src/store/index.ts'
import { sign } from '../../src/verify/index.ts'
import { sampleAfterCreateTopic } from '../fixtures/index.ts'
import { API_TOKEN, NOW_MS, NOW_S, SDKAPPID, TOKEN } from '../helpers/app.ts'
import { anyText, body, headers, queryKey } from '../helpers/hostile.ts'
import { type RunningService, startService } from '../helpers/service.ts'

// POST /callback has two ways in: the Hono route (library mode, the Deno entry, tests, every request
// the Node entry does not answer itself) and the Node entry's node:http listener. Both run one core;
// these tests hold them to the same answers, byte for byte, for the whole hostile input of the fuzz
// suite and for what only a raw socket can send, and the Deno entry to the Node entry's.

const encoder = new TextEncoder()
const MAX_BODY_BYTES = 64 * 1024
const BODY_TIMEOUT_MS = 300

/** What a client sees of an answer: status, body, and the headers that the paths set themselves. */
interface Seen {
  status: number
  contentType: string | null
  closes: boolean
  body: string
}

async function seen(res: Response): Promise<Seen> {
  return {
    status: res.status,
    contentType: res.headers.get('content-type'),
    closes: res.headers.get('connection') === 'close',
    body: await res.text(),
  }
}

function listen(listener: RequestListener): Promise<{ server: Server; url: string }> {
  const server = createServer(listener)
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }),
    ),
  )
}

describe('every path to the callback core answers alike', () => {
  let store: Store
  let hono: { server: Server; url: string }
  let direct: { server: Server; url: string }
  let app: ReturnType<typeof assembleApp>['app']

  beforeAll(async () => {
    store = await openSqliteStore(':memory:')
    const config = loadConfig({
      IM_SDKAPPID: SDKAPPID,
      IM_CALLBACK_TOKEN: TOKEN,
      API_TOKEN,
      MAX_BODY_BYTES: String(MAX_BODY_BYTES),
      BODY_TIMEOUT_MS: String(BODY_TIMEOUT_MS),
    })
    const assembled = assembleApp({ config, store, clock: () => NOW_MS, log: createLogger({ level: 'silent' }) })
    app = assembled.app
    // Both servers share one app, one core and one store: a callback stored through one path is a
    // duplicate through the other, which is answered the same (OK).
    hono = await listen(getRequestListener(app.fetch))
    direct = await listen(answerCallbacksOnNode(assembled.callbacks, getRequestListener(app.fetch)))
  })
  afterAll(async () => {
    hono.server.close()
    direct.server.close()
    await store.close()
  })

  /** Sends one request to both paths and expects the same answer from each. */
  async function expectAlike(
    target: string,
    init: { method?: string; body?: Uint8Array; headers?: Record<string, string> },
  ) {
    const request = {
      method: init.method ?? 'POST',
      ...(init.body ? { body: init.body } : {}),
      headers: init.headers ?? {},
    }
    const throughHono = await seen(await fetch(`${hono.url}${target}`, request))
    const throughNode = await seen(await fetch(`${direct.url}${target}`, request))
    expect(throughNode).toEqual(throughHono)
    return throughHono
  }

  it('for unsigned or forged requests with any query, headers and body', async () => {
    await fc.assert(
      fc.asyncProperty(fc.dictionary(queryKey, anyText), headers, body, async (query, hdrs, bytes) => {
        const answer = await expectAlike(`/callback?${new URLSearchParams(query)}`, { body: bytes, headers: hdrs })
        expect(answer.status).not.toBe(200)
      }),
      { numRuns: 150 },
    )
  })

  it('for raw, malformed query strings', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ unit: fc.constantFrom('%', 'z', '&', '=', '?', 'S', '0', 'é', ' ', '+', '\u0000') }),
        async (raw) => {
          await expectAlike(`/callback?${encodeURI(raw)}`, { body: encoder.encode('{}') })
        },
      ),
      { numRuns: 100 },
    )
  })

  it('for signed callbacks with every kind of body, valid ones included', async () => {
    const target = `/callback?SdkAppid=${SDKAPPID}&CallbackCommand=Group.CallbackAfterCreateTopic&RequestTime=${NOW_S}&Sign=${sign(TOKEN, NOW_S)}`
    let ok = 0
    await fc.assert(
      fc.asyncProperty(body, headers, async (bytes, hdrs) => {
        if ((await expectAlike(target, { body: bytes, headers: hdrs })).status === 200) ok++
      }),
      { numRuns: 200 },
    )
    expect(ok).toBeGreaterThan(10)
  })

  it('for other methods and paths near /callback, which go to the app on every path', async () => {
    for (const [method, target] of [
      ['GET', '/callback'],
      ['PUT', '/callback'],
      ['POST', '/callback/'],
      ['POST', '/callbacks'],
      ['POST', '/%63allback'],
      ['POST', '/callback?'],
    ] as const) {
      await expectAlike(target, { method, ...(method === 'GET' ? {} : { body: encoder.encode('{}') }) })
    }
  })

  /** Writes raw bytes to a server, optionally stops writing without closing, and reads the answer. */
  function raw(url: string, bytes: string, { hold = false } = {}): Promise<Seen> {
    const { port } = new URL(url)
    return new Promise((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1')
      let text = ''
      socket.setEncoding('latin1')
      socket.on('data', (chunk) => {
        text += chunk
        const end = text.indexOf('\r\n\r\n')
        const length = /\r\ncontent-length: (\d+)/i.exec(text)?.[1]
        if (end >= 0 && length !== undefined && text.length >= end + 4 + Number(length)) socket.destroy()
      })
      socket.on('close', () => {
        const [head = '', rest = ''] = text.split('\r\n\r\n')
        const lines = head.split('\r\n')
        const header = (name: string) =>
          lines
            .find((l) => l.toLowerCase().startsWith(`${name}:`))
            ?.slice(name.length + 1)
            .trim() ?? null
        resolve({
          status: Number(lines[0]?.split(' ')[1]),
          contentType: header('content-type'),
          closes: header('connection') === 'close',
          body: Buffer.from(rest, 'latin1').toString('utf8'),
        })
      })
      socket.on('error', reject)
      socket.write(bytes)
      if (!hold) socket.end()
    })
  }

  it('for what only a raw socket sends: a declared or chunked body past the cap, a body that stops coming', async () => {
    const head = (extra: string) =>
      `POST /callback?SdkAppid=${SDKAPPID}&CallbackCommand=Group.CallbackAfterCreateTopic&RequestTime=${NOW_S}&Sign=${sign(TOKEN, NOW_S)} HTTP/1.1\r\nHost: x\r\n${extra}\r\n`
    const topic = JSON.stringify({ ...sampleAfterCreateTopic, TopicId: '@TGS#_raw' })
    const cases: Array<[string, string, { hold?: boolean }]> = [
      ['declared past the cap', `${head(`Content-Length: ${MAX_BODY_BYTES + 1}\r\n`)}{`, { hold: true }],
      [
        'chunked past the cap',
        head('Transfer-Encoding: chunked\r\n') +
          `${(MAX_BODY_BYTES + 10).toString(16)}\r\n${'x'.repeat(MAX_BODY_BYTES + 10)}\r\n0\r\n\r\n`,
        {},
      ],
      ['a body that stops coming', head(`Content-Length: ${topic.length}\r\n`) + topic.slice(0, 10), { hold: true }],
      [
        'chunked and whole',
        `${head('Transfer-Encoding: chunked\r\n')}${topic.length.toString(16)}\r\n${topic}\r\n0\r\n\r\n`,
        {},
      ],
      ['no body at all', head('Content-Length: 0\r\n'), {}],
    ]
    for (const [name, bytes, options] of cases) {
      const [throughHono, throughNode] = await Promise.all([
        raw(hono.url, bytes, options),
        raw(direct.url, bytes, options),
      ])
      expect({ name, ...throughNode }).toEqual({ name, ...throughHono })
      expect(throughHono.status, name).toBeGreaterThan(0)
    }
  })
})

describe('the Deno entry answers as the Node entry does', () => {
  let node: RunningService
  let deno: RunningService
  const env = { MAX_BODY_BYTES: String(MAX_BODY_BYTES), BODY_TIMEOUT_MS: String(BODY_TIMEOUT_MS) }
  beforeAll(async () => {
    ;[node, deno] = await Promise.all([startService({ runtime: 'node', env }), startService({ runtime: 'deno', env })])
  }, 60_000)
  afterAll(async () => {
    await Promise.all([node?.stop(), deno?.stop()])
  })

  it('for hostile and valid callbacks signed now', async () => {
    const now = Math.floor(Date.now() / 1000)
    const signed = `SdkAppid=${SDKAPPID}&CallbackCommand=Group.CallbackAfterCreateTopic&RequestTime=${now}&Sign=${sign(TOKEN, now)}`
    const cases: Array<[string, string, Uint8Array]> = [
      [
        'valid',
        `/callback?${signed}`,
        encoder.encode(JSON.stringify({ ...sampleAfterCreateTopic, TopicId: '@TGS#_deno_vs_node' })),
      ],
      ['forged', `/callback?${signed.replace(/Sign=[0-9a-f]+/, `Sign=${'0'.repeat(64)}`)}`, encoder.encode('{}')],
      ['another app', `/callback?${signed.replace(SDKAPPID, '1400000001')}`, encoder.encode('{}')],
      ['not JSON', `/callback?${signed}`, encoder.encode('{"TopicId":')],
      ['deep', `/callback?${signed}`, encoder.encode('['.repeat(100) + ']'.repeat(100))],
      [
        'NUL in TopicId',
        `/callback?${signed}`,
        encoder.encode(JSON.stringify({ ...sampleAfterCreateTopic, TopicId: 'a\u0000b' })),
      ],
      ['invalid UTF-8', `/callback?${signed}`, new Uint8Array([0x7b, 0xff, 0x7d])],
      ['past the cap', `/callback?${signed}`, encoder.encode(`"${'x'.repeat(MAX_BODY_BYTES)}"`)],
      [
        'a command it does not act on',
        `/callback?${signed.replace('Group.CallbackAfterCreateTopic', 'Group.CallbackAfterSendMsg')}`,
        encoder.encode('{"CallbackCommand":"Group.CallbackAfterSendMsg"}'),
      ],
    ]
    for (const [name, target, bytes] of cases) {
      const [fromNode, fromDeno] = await Promise.all([
        fetch(`${node.url}${target}`, { method: 'POST', body: bytes }).then(seen),
        fetch(`${deno.url}${target}`, { method: 'POST', body: bytes }).then(seen),
      ])
      // Deno.serve decides itself whether to keep a connection open, and sends no Connection header.
      expect({ name, ...fromDeno, closes: undefined }).toEqual({ name, ...fromNode, closes: undefined })
    }
  })
})

import { mkdtempSync, rmSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApp } from '../../src/app.ts'
import { loadConfig } from '../../src/config/index.ts'
import { createLogger } from '../../src/log/index.ts'
import { openSqliteStore, type Store } from '../../src/store/index.ts'
import { sampleAfterCreateTopic } from '../fixtures/index.ts'
import { API_TOKEN, answerOf, bearer, callbackUrl, makeApp, post, SDKAPPID, TOKEN } from '../helpers/app.ts'
import { type RunningService, startService } from '../helpers/service.ts'

describe('the callback deadline', () => {
  it('answers 503 before IM gives up when the write does not commit in time, and says so in the log', async () => {
    const real = await openSqliteStore(':memory:')
    const stuck: Store = { ...real, record: () => new Promise(() => {}) }
    const logs: string[] = []
    const app = createApp({
      config: loadConfig({ IM_SDKAPPID: SDKAPPID, IM_CALLBACK_TOKEN: TOKEN, CALLBACK_DEADLINE_MS: '200' }),
      store: stuck,
      clock: () => Date.UTC(2026, 10, 22, 8, 0, 0),
      log: createLogger({ level: 'info', write: (l) => logs.push(l) }),
    })
    const started = performance.now()
    const { status, body } = await answerOf(await post(app, callbackUrl(), sampleAfterCreateTopic))
    const took = performance.now() - started
    expect(status).toBe(503)
    expect(body).toEqual({
      ActionStatus: 'FAIL',
      ErrorCode: 5002,
      ErrorInfo: 'The callback was not committed within 200 ms; it may be retried',
    })
    expect(took).toBeGreaterThanOrEqual(190)
    expect(took).toBeLessThan(1500)
    expect(logs.some((l) => l.includes('"msg":"deadline exceeded"'))).toBe(true)
    await real.close()
  })
})

describe('caps on the JSON', () => {
  it('refuses a body nested deeper than MAX_JSON_DEPTH', async () => {
    const t = await makeApp({ MAX_JSON_DEPTH: '8' })
    const deep = { ...sampleAfterCreateTopic, Extra: [[[[[[[[[1]]]]]]]]] }
    const { status, body } = await answerOf(await post(t.app, callbackUrl(), deep))
    expect(status).toBe(400)
    expect(body).toMatchObject({ ErrorCode: 4016, ErrorInfo: 'The body nests deeper than 8 levels' })
    await t.store.close()
  })

  it('refuses an array longer than MAX_JSON_ARRAY_LENGTH, and takes one at the cap', async () => {
    const t = await makeApp({ MAX_JSON_ARRAY_LENGTH: '10' })
    const list = (n: number) => Array.from({ length: n }, (_, i) => ({ Key: `k${i}`, Value: 'v' }))
    const over = await answerOf(
      await post(t.app, callbackUrl(), { ...sampleAfterCreateTopic, UserDefinedDataList: list(11) }),
    )
    expect(over).toMatchObject({
      status: 400,
      body: { ErrorCode: 4016, ErrorInfo: 'The body has an array of more than 10 items' },
    })
    expect(
      (await post(t.app, callbackUrl(), { ...sampleAfterCreateTopic, UserDefinedDataList: list(10) })).status,
    ).toBe(200)
    await t.store.close()
  })

  it('does not count brackets and commas inside strings', async () => {
    const t = await makeApp({ MAX_JSON_DEPTH: '4', MAX_JSON_ARRAY_LENGTH: '10' })
    const res = await post(t.app, callbackUrl(), { ...sampleAfterCreateTopic, Name: '[[[[[[,,,,,,,,,,,,,,"\\"[[[[' })
    expect(res.status).toBe(200)
    await t.store.close()
  })
})

describe('a body that trickles in', () => {
  it('is cut off after BODY_TIMEOUT_MS with 408 and the connection closed', async () => {
    const t = await makeApp({ BODY_TIMEOUT_MS: '200' })
    const stream = new ReadableStream<Uint8Array>({
      async pull(controller) {
        await new Promise((r) => setTimeout(r, 100))
        controller.enqueue(new TextEncoder().encode(' '))
      },
    })
    const res = await t.app.request(callbackUrl(), { method: 'POST', body: stream, duplex: 'half' } as RequestInit)
    expect(res.headers.get('connection')).toBe('close')
    expect(await answerOf(res)).toEqual({
      status: 408,
      body: {
        ActionStatus: 'FAIL',
        ErrorCode: 4017,
        ErrorInfo: 'The body did not arrive within 200 ms; the connection is closed',
      },
    })
    await t.store.close()
  })
})

describe("the Node server's limits, over real sockets", () => {
  const scratch = mkdtempSync(join(tmpdir(), 'imsync-limits-'))
  let service: RunningService
  let port: number
  beforeAll(async () => {
    service = await startService({
      env: {
        DATABASE_URL: `file:${join(scratch, 'l.db')}`,
        BODY_TIMEOUT_MS: '300',
        MAX_HEADER_BYTES: '4096',
        MAX_CONNECTIONS: '4',
      },
    })
    port = Number(new URL(service.url).port)
  })
  afterAll(async () => {
    await service.stop()
    rmSync(scratch, { recursive: true, force: true })
  })

  /** Sends raw bytes and collects what the server answers until it closes or `ms` pass. */
  function raw(
    write: (socket: ReturnType<typeof connect>) => void,
    ms = 3000,
  ): Promise<{ text: string; closed: boolean }> {
    return new Promise((resolve) => {
      const socket = connect(port, '127.0.0.1')
      let text = ''
      const done = (closed: boolean) => {
        clearTimeout(timer)
        socket.destroy()
        resolve({ text, closed })
      }
      const timer = setTimeout(() => done(false), ms)
      socket.on('data', (d) => (text += d))
      socket.on('close', () => done(true))
      socket.on('error', () => {})
      socket.on('connect', () => write(socket))
    })
  }

  it('cuts off a client that trickles its body, answering 408 in the documented shape', async () => {
    const started = performance.now()
    const { text, closed } = await raw((socket) => {
      socket.write(`POST ${callbackUrl()} HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{`)
      const drip = setInterval(() => (socket.writable ? socket.write(' ') : clearInterval(drip)), 50)
      socket.on('close', () => clearInterval(drip))
    })
    expect(text).toMatch(/^HTTP\/1.1 408 /)
    expect(text).toContain('"ErrorCode":4017')
    expect(closed).toBe(true)
    expect(performance.now() - started).toBeLessThan(2000)
  })

  it('refuses a request head larger than MAX_HEADER_BYTES with 431 and the documented body', async () => {
    const { text, closed } = await raw((socket) =>
      socket.write(`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(8000)}\r\n\r\n`),
    )
    expect(text).toMatch(/^HTTP\/1.1 431 Request Header Fields Too Large\r\n/)
    expect(text).toMatch(/\r\ncontent-type: application\/json; charset=utf-8\r\n/i)
    const body = JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4))
    expect(body).toEqual({
      ActionStatus: 'FAIL',
      ErrorCode: 4018,
      ErrorInfo: expect.stringMatching(/headers are larger than \d+ bytes/),
    })
    expect(closed).toBe(true)
  })

  it('logs a client that closes its connection mid-body as a refusal at debug level, not as an internal error', async () => {
    const before = service.logs.length
    await raw((socket) => {
      socket.write(`POST ${callbackUrl()} HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{"CallbackCommand":`)
      setTimeout(() => socket.destroy(), 50)
    }, 500)
    await service.waitForLog('"errorCode":4019')
    const lines = service.logs
      .slice(before)
      .map((line) => JSON.parse(line) as { level: string; msg: string; errorCode?: number; status?: number })
    expect(lines.filter((l) => l.level === 'error')).toEqual([])
    expect(lines.find((l) => l.msg === 'callback')).toMatchObject({ errorCode: 4019, status: 400 })
    const metrics = await (
      await fetch(`${service.url}/metrics`, { headers: { authorization: `Bearer ${API_TOKEN}` } })
    ).text()
    expect(metrics).not.toMatch(/im_refusals_total\{reason="internal"\}/)
    expect(metrics).toMatch(/im_refusals_total\{reason="request_malformed"\} 1/)
  })

  it('answers a request that is not HTTP with 400 and the documented body', async () => {
    const { text } = await raw((socket) => socket.write('NOT HTTP AT ALL\r\n\r\n'))
    expect(text).toMatch(/^HTTP\/1.1 400 Bad Request\r\n/)
    expect(JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4))).toMatchObject({
      ActionStatus: 'FAIL',
      ErrorCode: 4019,
    })
  })

  it('closes connections beyond MAX_CONNECTIONS at once, and serves again when they go', async () => {
    const held = await Promise.all(
      Array.from(
        { length: 4 },
        () =>
          new Promise<ReturnType<typeof connect>>((resolve) => {
            const s = connect(port, '127.0.0.1', () => resolve(s))
            s.on('error', () => {})
          }),
      ),
    )
    await new Promise((r) => setTimeout(r, 100))
    const extra = await raw((socket) => socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n'), 2000)
    expect(extra.closed).toBe(true)
    expect(extra.text).toBe('')
    for (const s of held) s.destroy()
    await new Promise((r) => setTimeout(r, 100))
    expect((await fetch(`${service.url}/healthz`)).status).toBe(200)
  })
})

describe('GET /metrics', () => {
  it('counts callbacks by command and outcome, latency, commit batches, and refusals by reason', async () => {
    const t = await makeApp()
    await post(t.app, callbackUrl(), sampleAfterCreateTopic)
    await post(t.app, callbackUrl(), sampleAfterCreateTopic)
    await post(t.app, callbackUrl({ token: 'wrong' }), sampleAfterCreateTopic)
    await post(t.app, callbackUrl(), '{"not": "valid"')
    const res = await t.app.request('/metrics', { headers: bearer })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0.0.4/)
    const text = await res.text()
    expect(text).toContain('im_callbacks_total{command="Group.CallbackAfterCreateTopic",outcome="stored"} 1')
    expect(text).toContain('im_callbacks_total{command="Group.CallbackAfterCreateTopic",outcome="duplicate"} 1')
    expect(text).toContain('im_callbacks_total{command="Group.CallbackAfterCreateTopic",outcome="rejected"} 1')
    // A request that did not prove it came from IM does not get to name a command.
    expect(text).toContain('im_callbacks_total{command="",outcome="refused"} 1')
    expect(text).toContain('im_callback_duration_seconds_count 4')
    expect(text).toContain('im_refusals_total{reason="sign_mismatch"} 1')
    expect(text).toContain('im_refusals_total{reason="body_not_json"} 1')
    await t.app.request('/topics?limit=0', { headers: bearer })
    await t.app.request('/topics')
    const after = await (await t.app.request('/metrics', { headers: bearer })).text()
    expect(after).toContain('im_refusals_total{reason="parameter_invalid"} 1')
    expect(after).toContain('im_refusals_total{reason="api_token_invalid"} 1')
    expect(text).toMatch(/im_store_commit_batch_size_count [3-9]/)
    expect(text).toContain('im_store_commit_failures_total 0')
    await t.store.close()
  })

  it('is guarded by the API token', async () => {
    const t = await makeApp()
    expect((await t.app.request('/metrics')).status).toBe(401)
    await t.store.close()
  })

  it('keeps hostile command names from growing its labels without end', async () => {
    const t = await makeApp()
    for (let i = 0; i < 80; i++) {
      const command = `Fuzz.Command${i}`
      await post(t.app, callbackUrl({ command }), { CallbackCommand: command })
    }
    const text = await (await t.app.request('/metrics', { headers: bearer })).text()
    expect(text.match(/^im_callbacks_total\{/gm)?.length).toBeLessThanOrEqual(65)
    expect(text).toMatch(/im_callbacks_total\{command="other",outcome="ignored"\} 16/)
    await t.store.close()
  })
})

import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { ChangeFeedError, followChanges, type TopicChange } from '../../src/client/index.ts'
import type { Topic } from '../../src/contract/read-api.ts'
import { openStore } from '../../src/store/index.ts'
import { sampleTopicDestroyed, topicBody } from '../fixtures/index.ts'
import { API_TOKEN, callbackUrl, makeApp, post } from '../helpers/app.ts'
import { freePort, sendSigned, startService } from '../helpers/service.ts'

const scratch = mkdtempSync(join(tmpdir(), 'imsync-follow-'))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

/** Waits until `check` holds, for up to `ms`. */
async function until(check: () => boolean, what: string, ms = 15_000) {
  for (const end = Date.now() + ms; !check(); ) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

describe('followChanges', () => {
  it('builds a copy and keeps it current across a restart of the service: nothing missed, nothing twice', {
    timeout: 60_000,
  }, async () => {
    const port = await freePort()
    const env = { DATABASE_URL: `file:${join(scratch, 'restart.db')}`, PORT: String(port), LOG_LEVEL: 'info' }
    let service = await startService({ env })
    const GROUP = '@TGS#_@TGS#cQVLVHIM62CJ'
    const id = (n: number) => `${GROUP}@TOPIC#_r${n}`
    const create = (n: number) => sendSigned(service.url, topicBody(n, { TopicId: id(n) }))
    for (let n = 0; n < 30; n++) expect((await create(n)).status).toBe(200)

    const copy = new Map<string, Topic>()
    const positions: number[] = []
    const caughtUp: number[] = []
    const retries: unknown[] = []
    const follower = followChanges({
      baseUrl: service.url,
      apiToken: API_TOKEN,
      pageSize: 7,
      onChange: (change) => {
        positions.push(change.position)
        copy.set(change.topic.TopicId, change.topic)
      },
      onCaughtUp: (position) => caughtUp.push(position),
      onRetry: (error) => retries.push(error),
    })
    await until(() => follower.position === 30, 'the backlog')
    expect(caughtUp[0]).toBe(30)

    // Live, through the stream.
    for (let n = 30; n < 40; n++) expect((await create(n)).status).toBe(200)
    await until(() => follower.position === 40, 'the live changes')

    // The service restarts; meanwhile the follower retries.
    expect(await service.stop()).toBe(0)
    await until(() => retries.length > 0, 'a retry while the service is down')
    service = await startService({ env })
    for (let n = 40; n < 60; n++) expect((await create(n)).status).toBe(200)
    const destroyed = [3, 35, 45].map(id)
    expect(
      (await sendSigned(service.url, { ...sampleTopicDestroyed, GroupId: GROUP, TopicIdList: destroyed })).status,
    ).toBe(200)

    const store = await openStore(env.DATABASE_URL)
    const last = await store.lastPosition()
    const truth = await store.listChanges({ after: 0, limit: 500 })
    await store.close()
    await until(() => follower.position === last, `position ${last}`)
    await follower.stop()
    await follower.done
    await service.stop()

    expect(positions).toEqual([...positions].sort((a, b) => a - b))
    expect(new Set(positions).size).toBe(positions.length)
    expect(Object.fromEntries(copy)).toEqual(Object.fromEntries(truth.items.map((c) => [c.topic.TopicId, c.topic])))
    expect(copy.size).toBe(60)
    for (const topicId of destroyed) expect(copy.get(topicId)?.DeletedAt).not.toBeNull()
  })

  it('starts after the position it is given, and stops on its signal', async () => {
    const t = await makeApp()
    for (let n = 0; n < 5; n++) await post(t.app, callbackUrl(), topicBody(n))
    const seen: number[] = []
    const stop = new AbortController()
    const follower = followChanges({
      baseUrl: 'http://in-process',
      apiToken: API_TOKEN,
      after: '3',
      fetch: (request) => t.app.fetch(request),
      onChange: (change) => void seen.push(change.position),
      signal: stop.signal,
    })
    await until(() => seen.length === 2, 'two changes')
    await post(t.app, callbackUrl(), topicBody(9))
    await until(() => seen.length === 3, 'the live change')
    stop.abort()
    await follower.done
    expect(seen).toEqual([4, 5, 6])
    await t.store.close()
  })

  it("stops with a ChangeFeedError when the token is refused, and with onChange's own error when it throws", async () => {
    const t = await makeApp()
    await post(t.app, callbackUrl(), topicBody(1))
    await post(t.app, callbackUrl(), topicBody(2))
    const refused = followChanges({
      baseUrl: 'http://in-process',
      apiToken: 'wrong',
      fetch: (r) => t.app.fetch(r),
      onChange: () => {},
    })
    const error = await refused.done.catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ChangeFeedError)
    expect(error).toMatchObject({
      status: 401,
      message: expect.stringContaining('The bearer token is not a key of this service, nor its API_TOKEN'),
    })

    const failure = new Error('cannot save')
    const failing = followChanges({
      baseUrl: 'http://in-process',
      apiToken: API_TOKEN,
      fetch: (r) => t.app.fetch(r),
      onChange: (change) => {
        if (change.position === 2) throw failure
      },
    })
    await expect(failing.done).rejects.toBe(failure)
    expect(failing.position).toBe(1)
    await t.store.close()
  })

  it('reads any line ending the standard allows, and never delivers a position twice or backwards', async () => {
    const change = (position: number): TopicChange => ({
      position,
      kind: 'created',
      at: '2026-11-22T08:00:00.000Z',
      topic: { TopicId: `t${position}` } as Topic,
    })
    const event = (position: number, eol: string) =>
      `id: ${position}${eol}event: change${eol}data: ${JSON.stringify(change(position))}${eol}${eol}`
    // A stream that repeats and reorders, split at awkward places (in the middle of a CRLF).
    const text = `retry: 1000\r\n: hello\r\n\r\n${event(2, '\r\n')}${event(3, '\r')}${event(3, '\n')}${event(1, '\n')}${event(4, '\r\n')}`
    const cut = text.indexOf('\r\n', text.indexOf('id: 4')) + 1
    const chunks = [text.slice(0, 7), text.slice(7, cut), text.slice(cut)]
    let streams = 0
    const seen: number[] = []
    const follower = followChanges({
      baseUrl: 'http://fake',
      apiToken: 't',
      after: 1,
      onChange: (c) => void seen.push(c.position),
      fetch: async (request) => {
        const url = new URL(request.url)
        if (url.pathname === '/changes')
          return Response.json({ items: [], nextCursor: url.searchParams.get('after'), hasMore: false })
        expect(request.headers.get('last-event-id')).toBe(String(streams === 0 ? 1 : 4))
        if (streams++ > 0) return new Promise<Response>(() => {})
        const body = new ReadableStream<Uint8Array>({
          start(controller) {
            for (const chunk of chunks) controller.enqueue(new TextEncoder().encode(chunk))
            controller.close()
          },
        })
        return new Response(body, { headers: { 'content-type': 'text/event-stream' } })
      },
    })
    await until(() => streams === 2, 'the reconnect')
    expect(seen).toEqual([2, 3, 4])
    expect(follower.position).toBe(4)
    await follower.stop()
  })

  it('refuses options that cannot work, at once', () => {
    const onChange = () => {}
    expect(() => followChanges({ baseUrl: '', apiToken: 't', onChange })).toThrow(TypeError)
    expect(() =>
      followChanges({ baseUrl: 'http://x', apiToken: process.env.IMSYNC_NEVER_SET as never, onChange }),
    ).toThrow('apiToken must be a non-empty string')
    expect(() => followChanges({ baseUrl: 'http://x', apiToken: 't', after: -1, onChange })).toThrow(
      'after must be a position',
    )
    expect(() => followChanges({ baseUrl: 'http://x', apiToken: 't', after: 'x', onChange })).toThrow(
      'after must be a position',
    )
    expect(() => followChanges({ baseUrl: 'http://x', apiToken: 't', pageSize: 501, onChange })).toThrow(
      'pageSize must be an integer from 1 to 500',
    )
  })
})

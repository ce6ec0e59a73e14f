import { afterEach, describe, expect, it } from 'vitest'
import { createApp } from '../../src/app.ts'
import { type ChangeFeed, createChangeFeed } from '../../src/changes/create-change-feed.ts'
import { loadConfig } from '../../src/config/index.ts'
import { createLogger } from '../../src/log/index.ts'
import { openSqliteStore, type Store } from '../../src/store/index.ts'
import { topicBody } from '../fixtures/index.ts'
import { API_TOKEN, bearer, callbackUrl, NOW_MS, post, SDKAPPID, TOKEN } from '../helpers/app.ts'

// A follower can neither stall the service nor hold it: the number of streams is capped, a stream
// whose client stops reading is dropped, a cursor from another database is refused, and a stopping
// service ends every stream at once, read or not.

let store: Store
let feed: ChangeFeed
const logs: string[] = []

async function makeStreamingApp(env: Record<string, string> = {}) {
  store = await openSqliteStore(':memory:')
  const config = loadConfig({ IM_SDKAPPID: SDKAPPID, IM_CALLBACK_TOKEN: TOKEN, API_TOKEN, ...env })
  feed = createChangeFeed({ store, pollMs: 50, maxStreams: config.maxChangeStreams })
  logs.length = 0
  const log = createLogger({ level: 'debug', write: (line) => void logs.push(line) })
  return createApp({ config, store, changeFeed: feed, clock: () => NOW_MS, log })
}

afterEach(async () => {
  feed.close()
  await store.close()
})

const open = (app: ReturnType<typeof createApp>, query = '', headers: Record<string, string> = {}) =>
  app.request(`/changes/stream${query}`, { headers: { ...bearer, ...headers } })

describe('the change stream', () => {
  it('refuses a cursor beyond the last position: a cursor from another or an older database', async () => {
    const app = await makeStreamingApp()
    await post(app, callbackUrl(), topicBody(1))
    for (const [path, headers, name] of [
      ['/changes?after=5', {}, 'after'],
      ['/changes/stream?after=5', {}, 'after'],
      ['/changes/stream', { 'last-event-id': '5' }, 'Last-Event-ID'],
    ] as const) {
      const res = await app.request(path, { headers: { ...bearer, ...headers } })
      expect(res.status, path).toBe(400)
      expect(await res.json()).toEqual({
        ActionStatus: 'FAIL',
        ErrorCode: 4015,
        ErrorInfo: `${name} 5 is beyond the last position of this feed (1): it is from another or an older database. Start again from 0 (rebuild your copy).`,
      })
    }
    // At the head itself, the feed answers as always: nothing yet.
    const res = await app.request('/changes?after=1', { headers: bearer })
    expect(await res.json()).toEqual({ items: [], nextCursor: '1', hasMore: false })
  })

  it('serves at most MAX_CHANGE_STREAMS streams, answers 503 past them, and takes one again when one ends', async () => {
    const app = await makeStreamingApp({ MAX_CHANGE_STREAMS: '2' })
    const first = await open(app)
    const second = await open(app)
    expect([first.status, second.status]).toEqual([200, 200])
    const third = await open(app)
    expect(third.status).toBe(503)
    expect(await third.json()).toEqual({
      ActionStatus: 'FAIL',
      ErrorCode: 5003,
      ErrorInfo: 'This replica already serves 2 change streams (MAX_CHANGE_STREAMS); retry later, or page GET /changes',
    })
    await first.body!.cancel()
    expect(feed.streams).toBe(1)
    const again = await open(app)
    expect(again.status).toBe(200)
    await again.body!.cancel()
    await second.body!.cancel()
    expect(feed.streams).toBe(0)
  })

  it('drops a stream whose client leaves what was sent unread for CHANGES_STALL_MS, and frees its place', async () => {
    const app = await makeStreamingApp({ CHANGES_STALL_MS: '200', MAX_CHANGE_STREAMS: '1' })
    await post(app, callbackUrl(), topicBody(1))
    const res = await open(app)
    expect(res.status).toBe(200)
    // Nothing reads the body: after 200 ms the stream is dropped, and the place is free again.
    await expect.poll(() => feed.streams, { timeout: 2000 }).toBe(0)
    await expect(res.body!.getReader().read()).rejects.toThrow('its client has read nothing for 200 ms')
    expect(logs.some((l) => l.includes('"msg":"change stream dropped"'))).toBe(true)
    expect((await open(app)).status).toBe(200)
  })

  it('keeps a stream whose client reads, however long it stays open', async () => {
    const app = await makeStreamingApp({ CHANGES_STALL_MS: '200', CHANGES_HEARTBEAT_MS: '100' })
    const reader = (await open(app)).body!.getReader()
    const started = Date.now()
    let chunks = 0
    while (Date.now() - started < 800) {
      await reader.read()
      chunks++
    }
    // The opening lines, then a heartbeat every 100 ms: never silent long enough to be dropped.
    expect(chunks).toBeGreaterThan(4)
    expect(feed.streams).toBe(1)
    await reader.cancel()
  })

  it('ends every stream at once when the service stops: one that reads, and one that does not', async () => {
    const app = await makeStreamingApp()
    await post(app, callbackUrl(), topicBody(1))
    const reading = (await open(app)).body!.getReader()
    const idle = await open(app)
    const text: string[] = []
    const decoder = new TextDecoder()
    for (let i = 0; i < 2; i++) text.push(decoder.decode((await reading.read()).value))
    expect(text.join('')).toContain('event: change')
    feed.close()
    // The reading client gets a clean end; the other one an error at its next read: neither waits.
    expect(await reading.read()).toEqual({ done: true, value: undefined })
    await expect(idle.body!.getReader().read()).rejects.toThrow('the service is stopping')
    expect(feed.streams).toBe(0)
  })
})

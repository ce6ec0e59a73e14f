import { describe, expect, it } from 'vitest'
import { createApp } from '../../src/app.ts'
import { createChangeFeed } from '../../src/changes/create-change-feed.ts'
import { loadConfig } from '../../src/config/index.ts'
import type { TopicChange } from '../../src/contract/read-api.ts'
import { openSqliteStore, type Store } from '../../src/store/index.ts'
import { topicBody } from '../fixtures/index.ts'
import { API_TOKEN, bearer, callbackUrl, makeApp, NOW_MS, post, SDKAPPID, TOKEN } from '../helpers/app.ts'
import { readSse, readUntilComment } from '../helpers/sse.ts'

async function withTopics(n: number) {
  const t = await makeApp({ CHANGES_HEARTBEAT_MS: '150' })
  for (let i = 0; i < n; i++) expect((await post(t.app, callbackUrl(), topicBody(i))).status).toBe(200)
  return t
}

/** Reads `count` change events from a stream, then cancels it. */
async function take(res: Response, count: number): Promise<TopicChange[]> {
  const changes: TopicChange[] = []
  for await (const event of readSse(res.body!)) {
    changes.push(JSON.parse(event.data) as TopicChange)
    if (changes.length === count) break
  }
  return changes
}

describe('GET /changes', () => {
  it('pages the feed from the beginning, with nextCursor to go on and hasMore', async () => {
    const { app, store } = await withTopics(5)
    const first = await app.request('/changes?limit=2', { headers: bearer })
    expect(first.status).toBe(200)
    const page = (await first.json()) as { items: TopicChange[]; nextCursor: string; hasMore: boolean }
    expect(page.items.map((c) => [c.position, c.kind, c.topic.Name])).toEqual([
      [1, 'created', 'topic 0'],
      [2, 'created', 'topic 1'],
    ])
    expect(page).toMatchObject({ nextCursor: '2', hasMore: true })
    expect(page.items[0]!.at).toBe(new Date(NOW_MS).toISOString())
    const rest = (await (
      await app.request(`/changes?after=${page.nextCursor}`, { headers: bearer })
    ).json()) as typeof page
    expect(rest.items.map((c) => c.position)).toEqual([3, 4, 5])
    expect(rest).toMatchObject({ nextCursor: '5', hasMore: false })
    // Caught up: an empty page keeps the cursor, so that it can be used again later.
    expect(await (await app.request('/changes?after=5', { headers: bearer })).json()).toEqual({
      items: [],
      nextCursor: '5',
      hasMore: false,
    })
    await store.close()
  })

  it('refuses a position that is not decimal digits, naming the parameter', async () => {
    const { app, store } = await makeApp()
    for (const after of ['-1', '1e2', '0x10', '+5', ' 3', 'abc', '1234567890123456']) {
      const res = await app.request(`/changes?after=${encodeURIComponent(after)}`, { headers: bearer })
      expect(res.status, after).toBe(400)
      const body = (await res.json()) as { ErrorCode: number; ErrorInfo: string }
      expect(body.ErrorCode).toBe(4015)
      expect(body.ErrorInfo).toMatch(/^after must be a position: decimal digits/)
    }
    await store.close()
  })

  it('needs the bearer token, for the pages and for the stream', async () => {
    const { app, store } = await makeApp()
    for (const path of ['/changes', '/changes/stream', '/changes?after=x']) {
      const res = await app.request(path)
      expect(res.status, path).toBe(401)
      expect(((await res.json()) as { ErrorCode: number }).ErrorCode).toBe(4013)
    }
    await store.close()
  })
})

describe('GET /changes/stream', () => {
  it('sends the backlog, then each change as it commits, each with its position as id', async () => {
    const { app, store } = await withTopics(3)
    const res = await app.request('/changes/stream?after=1', { headers: bearer })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8')
    expect(res.headers.get('cache-control')).toBe('no-store')
    const events = readSse(res.body!)
    const backlog = [(await events.next()).value!, (await events.next()).value!]
    expect(backlog.map((e) => [e.id, e.event, (JSON.parse(e.data) as TopicChange).topic.Name])).toEqual([
      ['2', 'change', 'topic 1'],
      ['3', 'change', 'topic 2'],
    ])
    setTimeout(() => void post(app, callbackUrl(), topicBody('live')), 50)
    const live = (await events.next()).value!
    expect(live.id).toBe('4')
    expect(JSON.parse(live.data)).toMatchObject({ position: 4, kind: 'created', topic: { Name: 'topic live' } })
    await events.return(undefined)
    await store.close()
  })

  it('resumes after Last-Event-ID, which wins over after', async () => {
    const { app, store } = await withTopics(4)
    const res = await app.request('/changes/stream?after=0', { headers: { ...bearer, 'Last-Event-ID': '2' } })
    expect((await take(res, 2)).map((c) => c.position)).toEqual([3, 4])
    const bad = await app.request('/changes/stream', { headers: { ...bearer, 'Last-Event-ID': 'x1' } })
    expect(bad.status).toBe(400)
    expect(((await bad.json()) as { ErrorInfo: string }).ErrorInfo).toMatch(
      /^Last-Event-ID must be a position: decimal digits/,
    )
    await store.close()
  })

  it('sends a heartbeat comment when nothing happens', async () => {
    const { app, store } = await withTopics(0)
    const res = await app.request('/changes/stream', { headers: bearer })
    const started = performance.now()
    const text = await readUntilComment(res.body!, 'heartbeat', 3000)
    expect(performance.now() - started).toBeGreaterThanOrEqual(100)
    expect(text).toMatch(/^retry: 1000\n/)
    await res.body!.cancel()
    await store.close()
  })

  it('reads the database only as fast as the client reads: a stalled client costs one page, not the backlog', async () => {
    const inner = await openSqliteStore(':memory:')
    let reads = 0
    const store: Store = { ...inner, listChanges: (query) => (reads++, inner.listChanges(query)) }
    const app = createApp({
      config: loadConfig({ IM_SDKAPPID: SDKAPPID, IM_CALLBACK_TOKEN: TOKEN, API_TOKEN }),
      store,
      clock: () => NOW_MS,
    })
    const res = await app.request('/changes/stream', { headers: bearer })
    const reader = res.body!.getReader()
    await reader.read() // the retry line
    // The client now stops reading, while 300 callbacks arrive: each is answered at once.
    for (let i = 0; i < 300; i++) expect((await post(app, callbackUrl(), topicBody(i))).status).toBe(200)
    await new Promise((r) => setTimeout(r, 100))
    expect(reads).toBeLessThanOrEqual(2)
    // When it reads again, it gets everything, in order.
    const positions: number[] = []
    const decoder = new TextDecoder()
    let text = ''
    while (positions.length < 300) {
      text += decoder.decode((await reader.read()).value)
      const ids = [...text.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]))
      positions.splice(0, positions.length, ...ids)
    }
    expect(positions).toEqual(Array.from({ length: 300 }, (_, i) => i + 1))
    await reader.cancel()
    await inner.close()
  })

  it('does not spin when it is woken for a change it cannot see yet', async () => {
    const inner = await openSqliteStore(':memory:')
    let reads = 0
    // A feed that always says a change is there (as a NOTIFY racing its commit would), with none to read.
    const store: Store = {
      ...inner,
      lastPosition: async () => 1000,
      listChanges: (query) => (reads++, inner.listChanges(query)),
    }
    const app = createApp({
      config: loadConfig({ IM_SDKAPPID: SDKAPPID, IM_CALLBACK_TOKEN: TOKEN, API_TOKEN }),
      store,
      clock: () => NOW_MS,
    })
    const res = await app.request('/changes/stream', { headers: bearer })
    const reader = res.body!.getReader()
    const reading = (async () => {
      for (;;) if ((await reader.read()).done) return
    })()
    await new Promise((r) => setTimeout(r, 500))
    // At most one read per 25 ms pause, where a spinning stream would make thousands.
    expect(reads).toBeGreaterThan(3)
    expect(reads).toBeLessThanOrEqual(25)
    await reader.cancel()
    await reading
    await inner.close()
  })

  it('ends when its feed closes (the service stopping), and a new stream resumes where it left off', async () => {
    const store = await openSqliteStore(':memory:')
    const feed = createChangeFeed({ store })
    const app = createApp({
      config: loadConfig({ IM_SDKAPPID: SDKAPPID, IM_CALLBACK_TOKEN: TOKEN, API_TOKEN }),
      store,
      clock: () => NOW_MS,
      changeFeed: feed,
    })
    await post(app, callbackUrl(), topicBody(1))
    const res = await app.request('/changes/stream', { headers: bearer })
    const events = readSse(res.body!)
    expect((await events.next()).value!.id).toBe('1')
    const ended = events.next()
    feed.close()
    expect(await ended).toEqual({ done: true, value: undefined })
    await store.close()
  })
})

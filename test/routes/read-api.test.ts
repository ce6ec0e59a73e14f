import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { sampleAfterCreateTopic, topicBody } from '../fixtures/index.ts'
import { answerOf, bearer, callbackUrl, makeApp, post, type TestApp } from '../helpers/app.ts'

let t: TestApp
beforeEach(async () => {
  t = await makeApp()
})
afterEach(async () => {
  await t.store.close()
})

const get = (path: string, headers: Record<string, string> = bearer) => t.app.request(path, { headers })

async function expectRefusal(res: Response, status: number, code: number, info: string | RegExp) {
  const { status: s, body } = await answerOf(res)
  expect(s).toBe(status)
  expect(body).toMatchObject({ ActionStatus: 'FAIL', ErrorCode: code })
  expect(body.ErrorInfo).toMatch(info)
}

describe('GET /topics/{TopicId}', () => {
  it("answers a stored topic under the callback's field names, its percent-encoded ID decoded", async () => {
    await post(t.app, callbackUrl(), sampleAfterCreateTopic)
    const res = await get(`/topics/${encodeURIComponent(sampleAfterCreateTopic.TopicId)}`)
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({
      TopicId: sampleAfterCreateTopic.TopicId,
      GroupId: '@TGS#2J4SZEAEL',
      Name: 'MyFirstTopic',
      UserDefinedDataList: sampleAfterCreateTopic.UserDefinedDataList,
      ReceivedAt: '2026-11-22T08:00:00.000Z',
      DeletedAt: null,
    })
  })

  it('finds topics whose IDs hold /, %, ?, spaces and quotes, percent-encoded', async () => {
    // IM allows any printable ASCII in a topic ID's custom part.
    for (const id of [
      '@TGS#_a/b@TOPIC#_c',
      '@TGS#_100%@TOPIC#_x',
      '@TGS#_q?x=1@TOPIC#_y',
      '@TGS#_sp ace@TOPIC#_z',
      '@TGS#_%2F@TOPIC#_w',
      `@TGS#_~!*()'"@TOPIC#_v`,
    ]) {
      await post(t.app, callbackUrl(), topicBody(1, { TopicId: id }))
      const res = await get(`/topics/${encodeURIComponent(id)}`)
      expect(res.status, id).toBe(200)
      expect(((await res.json()) as { TopicId: string }).TopicId).toBe(id)
    }
  })

  it('answers 404 for an unknown TopicId, naming it', async () => {
    await expectRefusal(
      await get(`/topics/${encodeURIComponent('@TGS#_nope')}`),
      404,
      4014,
      'No topic with TopicId "@TGS#_nope"',
    )
  })
})

describe('GET /topics', () => {
  it('pages through every topic with nextCursor, in the order they were stored', async () => {
    for (let n = 0; n < 5; n++) await post(t.app, callbackUrl(), topicBody(n))
    const names: string[] = []
    let url = '/topics?limit=2'
    for (;;) {
      const page = (await (await get(url)).json()) as { items: Array<{ Name: string }>; nextCursor: string | null }
      names.push(...page.items.map((i) => i.Name))
      if (page.nextCursor === null) break
      url = `/topics?limit=2&cursor=${page.nextCursor}`
    }
    expect(names).toEqual(['topic 0', 'topic 1', 'topic 2', 'topic 3', 'topic 4'])
  })

  it('filters by GroupId', async () => {
    await post(t.app, callbackUrl(), topicBody(1))
    await post(t.app, callbackUrl(), topicBody(2, { GroupId: '@TGS#other' }))
    const page = (await (await get(`/topics?GroupId=${encodeURIComponent('@TGS#other')}`)).json()) as {
      items: Array<{ Name: string }>
    }
    expect(page.items.map((i) => i.Name)).toEqual(['topic 2'])
  })

  it('defaults to 100 per page', async () => {
    for (let n = 0; n < 101; n++) await post(t.app, callbackUrl(), topicBody(n))
    const page = (await (await get('/topics')).json()) as { items: unknown[]; nextCursor: string | null }
    expect(page.items).toHaveLength(100)
    expect(page.nextCursor).not.toBeNull()
  })

  for (const limit of ['0', '501', '-1', '1.5', 'ten', '1e2', '0x10', ' 3', '+5', '05', '', '1000']) {
    it(`refuses limit=${limit}, naming the parameter and its range`, async () => {
      await expectRefusal(
        await get(`/topics?limit=${encodeURIComponent(limit)}`),
        400,
        4015,
        'limit must be an integer from 1 to 500',
      )
    })
  }

  for (const cursor of ['garbage!', 'NDI', '1e2', '-1', ' 3', '+5', '0x10', '9'.repeat(16)]) {
    it(`refuses a cursor that is not decimal digits (${JSON.stringify(cursor.slice(0, 12))})`, async () => {
      await expectRefusal(
        await get(`/topics?cursor=${encodeURIComponent(cursor)}`),
        400,
        4015,
        'cursor must be a nextCursor this API returned: decimal digits',
      )
    })
  }

  it('gives nextCursor as decimal digits, which /events and /topics take back', async () => {
    for (let n = 0; n < 3; n++) await post(t.app, callbackUrl(), topicBody(n))
    const page = (await (await get('/topics?limit=2')).json()) as { nextCursor: string }
    expect(page.nextCursor).toMatch(/^[0-9]+$/)
    const next = (await (await get(`/topics?limit=2&cursor=${page.nextCursor}`)).json()) as {
      items: Array<{ Name: string }>
    }
    expect(next.items.map((i) => i.Name)).toEqual(['topic 2'])
  })
})

describe('GET /events', () => {
  it('lists callbacks with their outcome, filtered by command and outcome', async () => {
    await post(t.app, callbackUrl(), sampleAfterCreateTopic)
    await post(t.app, callbackUrl(), sampleAfterCreateTopic)
    await post(t.app, callbackUrl(), '{bad')
    const all = (await (await get('/events')).json()) as {
      items: Array<{ Outcome: string; Query: Record<string, string> }>
    }
    expect(all.items.map((e) => e.Outcome)).toEqual(['stored', 'duplicate', 'rejected'])
    expect(all.items[0]!.Query).not.toHaveProperty('Sign')
    const rejected = (await (await get('/events?outcome=rejected&command=Group.CallbackAfterCreateTopic')).json()) as {
      items: Array<{ Body: string }>
    }
    expect(rejected.items.map((e) => e.Body)).toEqual(['{bad'])
  })

  it('refuses an outcome that does not exist, naming the parameter', async () => {
    await expectRefusal(await get('/events?outcome=lost'), 400, 4015, /^outcome: /)
  })
})

describe('the bearer token', () => {
  for (const [name, headers, info] of [
    ['missing', {}, 'Authorization: Bearer <key> is missing'],
    ['wrong', { authorization: 'Bearer nope' }, 'The bearer token is not a key of this service, nor its API_TOKEN'],
    ['not a bearer', { authorization: 'Basic dXNlcjpwYXNz' }, 'Authorization must be "Bearer <key>"'],
  ] as const) {
    it(`refuses a ${name} token with 401, before looking at parameters`, async () => {
      for (const path of ['/topics', '/topics/x', '/events', '/topics?limit=0']) {
        await expectRefusal(await get(path, headers), 401, 4013, info)
      }
    })
  }

  it('refuses a token that is no key when the service has no API_TOKEN', async () => {
    const closed = await makeApp({ API_TOKEN: undefined })
    const res = await closed.app.request('/topics', { headers: bearer })
    await expectRefusal(res, 401, 4013, 'The bearer token is not a key of this service (and it has no API_TOKEN)')
    await closed.store.close()
  })
})

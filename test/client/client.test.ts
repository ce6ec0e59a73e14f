import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTopicSyncClient, type TopicSyncClient } from '../../src/client/index.ts'
import { sampleAfterCreateTopic, topicBody } from '../fixtures/index.ts'
import { API_TOKEN, callbackUrl, makeApp, post, type TestApp } from '../helpers/app.ts'

let t: TestApp
let client: TopicSyncClient
beforeAll(async () => {
  t = await makeApp()
  client = createTopicSyncClient({
    baseUrl: 'http://in-process',
    apiToken: API_TOKEN,
    fetch: (request) => t.app.fetch(request),
  })
  await post(t.app, callbackUrl(), sampleAfterCreateTopic)
  for (let n = 0; n < 3; n++) await post(t.app, callbackUrl(), topicBody(n))
})
afterAll(() => t.store.close())

describe('the typed client', () => {
  it('refuses a missing base URL or token, as an unset variable would give', () => {
    expect(() =>
      createTopicSyncClient({ baseUrl: 'http://x', apiToken: process.env.IMSYNC_NEVER_SET as never }),
    ).toThrow(new TypeError("createTopicSyncClient: apiToken must be a non-empty string: the service's API_TOKEN"))
    expect(() => createTopicSyncClient({ baseUrl: '', apiToken: 't' })).toThrow('baseUrl must be the service')
  })

  it('reads a topic, encoding its ID', async () => {
    const { data, error, response } = await client.GET('/topics/{TopicId}', {
      params: { path: { TopicId: sampleAfterCreateTopic.TopicId } },
    })
    expect(error).toBeUndefined()
    expect(response.status).toBe(200)
    expect(data?.Name).toBe('MyFirstTopic')
    expect(data?.UserDefinedDataList).toEqual(sampleAfterCreateTopic.UserDefinedDataList)
  })

  it('pages through topics', async () => {
    const first = await client.GET('/topics', { params: { query: { limit: 2 } } })
    expect(first.data?.items).toHaveLength(2)
    const second = await client.GET('/topics', { params: { query: { limit: 2, cursor: first.data!.nextCursor! } } })
    expect(second.data?.items).toHaveLength(2)
    expect(second.data?.nextCursor).toBeNull()
  })

  it('reads the event log', async () => {
    const { data } = await client.GET('/events', { params: { query: { outcome: 'stored' } } })
    expect(data?.items).toHaveLength(4)
  })

  it('returns the documented error for an unknown topic and a wrong token', async () => {
    const missing = await client.GET('/topics/{TopicId}', { params: { path: { TopicId: 'nope' } } })
    expect(missing.error).toMatchObject({ ActionStatus: 'FAIL', ErrorCode: 4014 })
    const wrong = createTopicSyncClient({
      baseUrl: 'http://in-process',
      apiToken: 'wrong',
      fetch: (r) => t.app.fetch(r),
    })
    const refused = await wrong.GET('/topics', {})
    expect(refused.response.status).toBe(401)
    expect(refused.error).toMatchObject({ ErrorCode: 4013 })
  })
})

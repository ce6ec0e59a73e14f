import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { Hono } from 'hono'
import { describe, expect, it } from 'vitest'
import { createApp, openSqliteStore, sign, type TopicCreatedEvent, verifyCallback } from '../../src/index.ts'
import { sampleAfterCreateTopic, sampleAnswer } from '../fixtures/index.ts'
import { ROOT } from '../helpers/service.ts'

describe('library mode', () => {
  it('mounts inside an existing Hono app and runs onTopicCreated before answering', async () => {
    const store = await openSqliteStore(':memory:')
    const seen: TopicCreatedEvent[] = []
    let answeredAfterHook = false
    const im = createApp({
      config: { sdkAppId: '1400000000', callbackTokens: ['secret'] },
      store,
      clock: () => 1_700_000_000_000,
      onTopicCreated: async (event) => {
        await new Promise((r) => setTimeout(r, 10))
        seen.push(event)
        answeredAfterHook = true
      },
    })
    const parent = new Hono()
    parent.get('/', (c) => c.text('the host app'))
    parent.route('/im', im)

    const time = 1_700_000_000
    const url = `/im/callback?SdkAppid=1400000000&CallbackCommand=Group.CallbackAfterCreateTopic&RequestTime=${time}&Sign=${sign('secret', time)}`
    const res = await parent.request(url, { method: 'POST', body: JSON.stringify(sampleAfterCreateTopic) })
    expect(answeredAfterHook).toBe(true)
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual(sampleAnswer)
    expect(seen).toHaveLength(1)
    expect(seen[0]).toMatchObject({
      topic: { TopicId: sampleAfterCreateTopic.TopicId, Name: 'MyFirstTopic' },
      receivedAt: 1_700_000_000_000,
    })

    // A re-delivery is a duplicate: the hook does not run again.
    await parent.request(url, { method: 'POST', body: JSON.stringify(sampleAfterCreateTopic) })
    expect(seen).toHaveLength(1)
    expect(await (await parent.request('/')).text()).toBe('the host app')
    await store.close()
  })

  it('answers 500 when onTopicCreated throws, keeping the topic stored', async () => {
    const store = await openSqliteStore(':memory:')
    const im = createApp({
      config: { sdkAppId: '1' },
      store,
      onTopicCreated: () => {
        throw new Error('downstream is down')
      },
    })
    const res = await im.request('/callback?SdkAppid=1&CallbackCommand=Group.CallbackAfterCreateTopic', {
      method: 'POST',
      body: JSON.stringify(sampleAfterCreateTopic),
    })
    expect(res.status).toBe(500)
    expect(await res.json()).toMatchObject({ ActionStatus: 'FAIL', ErrorCode: 5000 })
    expect(await store.getTopic(sampleAfterCreateTopic.TopicId)).toBeDefined()
    await store.close()
  })

  it('refuses to build without an SDKAppID or a store', () => {
    expect(() => createApp({ config: { sdkAppId: '' }, store: {} as never })).toThrow('config.sdkAppId is required')
    expect(() => createApp({ config: { sdkAppId: '1' }, store: undefined as never })).toThrow('store is required')
  })

  it('refuses a token that is not a non-empty string, as an unset variable would give', () => {
    const store = {} as never
    const build = (config: Record<string, unknown>) => () =>
      createApp({ config: { sdkAppId: '1', ...config } as never, store })
    expect(build({ callbackTokens: [process.env.IMSYNC_NEVER_SET] })).toThrow(
      new TypeError(
        'createApp: config.callbackTokens[0] is undefined; each token must be a non-empty string (pass callbackTokens: [] to turn Sign checking off)',
      ),
    )
    expect(build({ callbackTokens: ['current', ''] })).toThrow('config.callbackTokens[1] is an empty string')
    expect(build({ callbackTokens: [42] })).toThrow('config.callbackTokens[0] is a number')
    expect(build({ callbackTokens: 'secret' })).toThrow(
      'config.callbackTokens must be an array of tokens, got a string',
    )
    expect(build({ apiToken: '' })).toThrow('config.apiToken is an empty string')
    expect(build({ apiToken: null })).toThrow('config.apiToken is null')
  })

  it("exports the verification function for users' own handlers", () => {
    const nowMs = 1_669_872_112_000
    expect(() =>
      verifyCallback(
        { SdkAppid: '1', RequestTime: '1669872112', Sign: sign('xxxxyyyy', 1669872112) },
        { sdkAppId: '1', tokens: ['xxxxyyyy'], windowSeconds: 60, nowMs },
      ),
    ).not.toThrow()
    expect(() =>
      verifyCallback(
        { SdkAppid: '1', RequestTime: '1669872112', Sign: sign('other', 1669872112) },
        { sdkAppId: '1', tokens: ['xxxxyyyy'], windowSeconds: 60, nowMs },
      ),
    ).toThrow('Sign does not match')
  })

  it('is importable by package name through its exports map', async () => {
    const script = `
      const lib = await import('im-topic-sync')
      const client = await import('im-topic-sync/client')
      console.log(JSON.stringify([typeof lib.createApp, typeof lib.sign, typeof lib.verifyCallback, typeof client.createTopicSyncClient]))`
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT })
    expect(JSON.parse(stdout)).toEqual(['function', 'function', 'function', 'function'])
  })
})

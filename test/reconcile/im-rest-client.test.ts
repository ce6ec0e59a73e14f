import { createRequire } from 'node:module'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createImRestClient, ImApiError, type ImRestClient, makeUserSig } from '../../src/reconcile/index.ts'
import { checkUserSig, type FakeIm, IM_ADMIN, IM_SECRET_KEY, startFakeIm } from '../helpers/fake-im.ts'

// Tencent's own UserSig library, as its README shows it: new Api(sdkappid, key).genUserSig(userid, expire).
const TLSSigAPIv2 = createRequire(import.meta.url)('tls-sig-api-v2') as {
  Api: new (sdkAppId: number, key: string) => { genUserSig(userId: string, expire: number): string }
}

describe('makeUserSig', () => {
  afterEach(() => vi.restoreAllMocks())

  it("makes, byte for byte, the UserSig of Tencent's tls-sig-api-v2", () => {
    for (const [sdkAppId, identifier, expire, at] of [
      ['1400000000', 'administrator', 86_400, 1_700_000_000_000],
      ['1600012345', 'admin_2', 180 * 86_400, 1_763_800_000_000],
    ] as const) {
      vi.spyOn(Date, 'now').mockReturnValue(at)
      const theirs = new TLSSigAPIv2.Api(Number(sdkAppId), IM_SECRET_KEY).genUserSig(identifier, expire)
      const ours = makeUserSig({
        sdkAppId,
        identifier,
        secretKey: IM_SECRET_KEY,
        nowSeconds: at / 1000,
        expireSeconds: expire,
      })
      expect(ours).toBe(theirs)
      expect(
        checkUserSig(ours, { sdkAppId, identifier, secretKey: IM_SECRET_KEY, nowSeconds: at / 1000 + 10 }),
      ).toBeNull()
      expect(checkUserSig(ours, { sdkAppId, identifier, secretKey: 'another key', nowSeconds: at / 1000 + 10 })).toBe(
        'the UserSig signature does not match',
      )
    }
  })
})

describe('the IM REST client', () => {
  let im: FakeIm
  let client: ImRestClient
  const sleeps: number[] = []
  beforeEach(async () => {
    im = await startFakeIm({ pageSize: 2 })
    sleeps.length = 0
    client = createImRestClient({
      apiBase: im.url,
      sdkAppId: '1400000000',
      identifier: IM_ADMIN,
      secretKey: IM_SECRET_KEY,
      // Far above what the fake IM takes, even on a loaded machine: a timeout here would be retried
      // and show as an extra call. The test of timeouts uses a client of its own.
      timeoutMs: 5000,
      // Real waits, recorded: the pacing must really keep IM's rate.
      sleep: (ms) => (sleeps.push(ms), new Promise((r) => setTimeout(r, ms))),
    })
  })
  afterEach(() => im.close())

  it('reads every Community through the pages of get_appid_group_list, once a second at most', async () => {
    for (const g of ['@TGS#a', '@TGS#b', '@TGS#c', '@TGS#d', '@TGS#e'])
      im.addTopic(g, { TopicId: `${g}@TOPIC#_1`, TopicName: 'one' })
    expect(await client.listCommunityGroupIds()).toEqual(['@TGS#a', '@TGS#b', '@TGS#c', '@TGS#d', '@TGS#e'])
    expect(im.calls.map((c) => c.body)).toEqual([
      { Limit: 10_000, Next: 0, GroupType: 'Community' },
      { Limit: 10_000, Next: 2, GroupType: 'Community' },
      { Limit: 10_000, Next: 4, GroupType: 'Community' },
    ])
    expect(im.rateViolations).toBe(0)
  })

  it("reads a Community's topics with get_topic, as the admin, with the profile fields", async () => {
    im.addTopic('@TGS#a', {
      TopicId: '@TGS#a@TOPIC#_1',
      TopicName: 'news',
      Introduction: 'all the news',
      FaceUrl: 'https://x/f.png',
      CustomString: 'c',
    })
    expect(await client.getTopics('@TGS#a')).toEqual({
      exists: true,
      topics: [
        {
          GroupId: '@TGS#a',
          TopicId: '@TGS#a@TOPIC#_1',
          Name: 'news',
          Introduction: 'all the news',
          Notification: null,
          FaceUrl: 'https://x/f.png',
          CustomString: 'c',
          CreateTime: 1_700_000_000,
        },
      ],
      skipped: [],
    })
    expect(im.calls[0]!.body).toEqual({ GroupId: '@TGS#a', From_Account: IM_ADMIN })
    expect(await client.getTopics('@TGS#gone')).toEqual({ exists: false })
  })

  it('retries a transient failure with backoff, then succeeds', async () => {
    im.addTopic('@TGS#a', { TopicId: '@TGS#a@TOPIC#_1', TopicName: 'news' })
    im.fail('get_topic', { kind: 'error', errorCode: 10002, errorInfo: 'internal error, retry' })
    im.fail('get_topic', { kind: 'http', status: 503 })
    expect((await client.getTopics('@TGS#a')).exists).toBe(true)
    expect(im.calls).toHaveLength(3)
    expect(sleeps.filter((ms) => ms >= 125)).toHaveLength(2)
  })

  it('names the call, the group and the error code when IM refuses, without retrying', async () => {
    im.addTopic('@TGS#a', { TopicId: '@TGS#a@TOPIC#_1', TopicName: 'news' })
    im.fail('get_topic', { kind: 'error', errorCode: 10007, errorInfo: 'no permission' })
    const error = await client.getTopics('@TGS#a').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ImApiError)
    expect((error as Error).message).toBe('IM get_topic for group @TGS#a failed: ErrorCode 10007 (no permission)')
    expect(im.calls).toHaveLength(1)
  })

  it('gives up on an IM that does not answer in time, after its retries, and says so', async () => {
    im.fail('get_appid_group_list', { kind: 'slow', ms: 1000 }, 4)
    const impatient = createImRestClient({
      apiBase: im.url,
      sdkAppId: '1400000000',
      identifier: IM_ADMIN,
      secretKey: IM_SECRET_KEY,
      timeoutMs: 300,
      sleep: async () => {},
    })
    const error = await impatient.listCommunityGroupIds().catch((e: unknown) => e)
    expect((error as Error).message).toBe(`IM get_appid_group_list failed: ${im.url} did not answer within 300 ms`)
    expect(im.calls).toHaveLength(4)
  })

  it('is refused by IM with a wrong secret key, and never puts the key in its error', async () => {
    const wrong = createImRestClient({
      apiBase: im.url,
      sdkAppId: '1400000000',
      identifier: IM_ADMIN,
      secretKey: 'not-the-key',
    })
    const error = (await wrong.listCommunityGroupIds().catch((e: unknown) => e)) as Error
    expect(error.message).toBe('IM get_appid_group_list failed: ErrorCode 70003 (the UserSig signature does not match)')
    expect(error.message).not.toContain('not-the-key')
  })
})

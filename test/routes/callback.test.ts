import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { sign } from '../../src/verify/index.ts'
import { sampleAfterCreateTopic, sampleAnswer, topicBody, workedSignature } from '../fixtures/index.ts'
import { answerOf, callbackUrl, makeApp, NOW_S, PREVIOUS_TOKEN, post, SDKAPPID, type TestApp } from '../helpers/app.ts'

let t: TestApp
beforeEach(async () => {
  t = await makeApp({ IM_CALLBACK_TOKEN_PREVIOUS: PREVIOUS_TOKEN })
})
afterEach(async () => {
  await t.store.close()
})

async function expectRefusal(res: Response, status: number, code: number, info: string | RegExp) {
  const answer = await answerOf(res)
  expect(answer.status).toBe(status)
  expect(answer.body.ActionStatus).toBe('FAIL')
  expect(answer.body.ErrorCode).toBe(code)
  expect(answer.body.ErrorInfo).toMatch(info)
  expect(Object.keys(answer.body).sort()).toEqual(['ActionStatus', 'ErrorCode', 'ErrorInfo'])
}

const storedTopic = async (topicId = sampleAfterCreateTopic.TopicId) => t.store.getTopic(topicId)

describe('POST /callback: Group.CallbackAfterCreateTopic', () => {
  it("answers the seed's sample with IM's OK body and stores the topic", async () => {
    const res = await post(t.app, callbackUrl(), sampleAfterCreateTopic)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^application\/json/)
    expect(await res.json()).toEqual(sampleAnswer)
    expect(await storedTopic()).toEqual({
      GroupId: '@TGS#2J4SZEAEL',
      TopicId: '@TGS#_@TGS#cQVLVHIM62CJ@TOPIC#_@TOPIC#cRTE3HIM62C5',
      Name: 'MyFirstTopic',
      Type: 'Community',
      Owner_Account: 'leckie',
      Operator_Account: 'group_root',
      UserDefinedDataList: [
        { Key: 'UserDefined1', Value: 'hello' },
        { Key: 'UserDefined2', Value: 'world' },
      ],
      ClientIP: '127.0.0.1',
      OptPlatform: 'RESTAPI',
      Introduction: null,
      Notification: null,
      FaceUrl: null,
      CustomString: null,
      ReceivedAt: '2026-11-22T08:00:00.000Z',
      UpdatedAt: '2026-11-22T08:00:00.000Z',
      DeletedAt: null,
    })
  })

  it("accepts a body with no Content-Type header, as in IM's own sample request", async () => {
    const res = await post(t.app, callbackUrl(), sampleAfterCreateTopic)
    expect(res.status).toBe(200)
    expect(await storedTopic()).toBeDefined()
  })

  it('parses the body as JSON when the Content-Type says text/plain', async () => {
    const res = await post(t.app, callbackUrl(), sampleAfterCreateTopic, { 'content-type': 'text/plain' })
    expect(await answerOf(res)).toEqual({ status: 200, body: sampleAnswer })
    expect(await storedTopic()).toBeDefined()
  })

  it('accepts unknown extra fields and keeps them in the event log', async () => {
    const body = { ...sampleAfterCreateTopic, EventTime: 1669872112000, SomethingNew: { nested: [1, 2] } }
    const res = await post(t.app, callbackUrl(), body)
    expect(res.status).toBe(200)
    expect((await storedTopic())?.Name).toBe('MyFirstTopic')
    const events = await t.store.listEvents({ limit: 10, after: 0 })
    expect(JSON.parse(events.items[0]!.Body!)).toEqual(body)
  })

  it('stores a topic without UserDefinedDataList with the list as null', async () => {
    const { UserDefinedDataList: _, ...body } = sampleAfterCreateTopic
    expect((await post(t.app, callbackUrl(), body)).status).toBe(200)
    expect((await storedTopic())?.UserDefinedDataList).toBeNull()
  })

  for (const field of [
    'CallbackCommand',
    'GroupId',
    'TopicId',
    'Operator_Account',
    'Owner_Account',
    'Type',
    'Name',
  ] as const) {
    it(`refuses a body without ${field}, naming it`, async () => {
      const { [field]: _, ...body } = sampleAfterCreateTopic
      const res = await post(t.app, callbackUrl(), body)
      if (field === 'CallbackCommand') {
        await expectRefusal(res, 400, 4011, /CallbackCommand in the body is missing/)
      } else {
        await expectRefusal(
          res,
          400,
          4012,
          new RegExp(`^Group.CallbackAfterCreateTopic body is invalid: ${field} is required \\(a string\\)$`),
        )
      }
      expect(await storedTopic()).toBeUndefined()
    })
  }

  it('refuses a mistyped field, naming the field and both types', async () => {
    const res = await post(t.app, callbackUrl(), { ...sampleAfterCreateTopic, Name: 42 })
    await expectRefusal(res, 400, 4012, 'Name must be a string, got a number')
    expect(await storedTopic()).toBeUndefined()
  })

  it('refuses a mistyped custom field, naming its position in the list', async () => {
    const body = {
      ...sampleAfterCreateTopic,
      UserDefinedDataList: [
        { Key: 'k', Value: 'v' },
        { Key: 'k2', Value: null },
      ],
    }
    await expectRefusal(
      await post(t.app, callbackUrl(), body),
      400,
      4012,
      'UserDefinedDataList[1].Value must be a string, got null',
    )
  })

  it('refuses a topic field holding U+0000, which no database column can keep', async () => {
    const res = await post(t.app, callbackUrl(), { ...sampleAfterCreateTopic, Name: 'a\u0000b' })
    await expectRefusal(res, 400, 4012, 'Name must not contain U+0000 (NUL)')
  })

  it('answers a re-delivery OK and keeps the first delivery', async () => {
    await post(t.app, callbackUrl(), sampleAfterCreateTopic)
    const again = await post(t.app, callbackUrl(), { ...sampleAfterCreateTopic, Name: 'renamed' })
    expect(await answerOf(again)).toEqual({ status: 200, body: sampleAnswer })
    expect((await storedTopic())?.Name).toBe('MyFirstTopic')
    const outcomes = (await t.store.listEvents({ limit: 10, after: 0 })).items.map((e) => e.Outcome)
    expect(outcomes).toEqual(['stored', 'duplicate'])
  })

  it('stores exactly one topic when the same callback arrives 20 times at once', async () => {
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => post(t.app, callbackUrl(), sampleAfterCreateTopic)),
    )
    expect(answers.map((r) => r.status)).toEqual(Array(20).fill(200))
    expect((await t.store.listTopics({ limit: 100, after: 0 })).items).toHaveLength(1)
    const outcomes = (await t.store.listEvents({ limit: 100, after: 0 })).items.map((e) => e.Outcome)
    expect(outcomes.filter((o) => o === 'stored')).toHaveLength(1)
    expect(outcomes.filter((o) => o === 'duplicate')).toHaveLength(19)
  })
})

describe('POST /callback: the rest of the topic lifecycle', () => {
  const GROUP = sampleAfterCreateTopic.GroupId
  const destroyed = {
    CallbackCommand: 'Group.CallbackAfterGroupDestroyed',
    GroupId: GROUP,
    Type: 'Community',
    Owner_Account: 'leckie',
    Name: 'g',
  }
  const changed = {
    CallbackCommand: 'Group.CallbackAfterTopicInfoChanged',
    GroupId: GROUP,
    Type: 'Community',
    Operator_Account: 'leckie',
    Name: 'renamed',
  }

  it('marks every topic of a disbanded Community deleted', async () => {
    await post(t.app, callbackUrl(), sampleAfterCreateTopic)
    const res = await post(t.app, callbackUrl({ command: destroyed.CallbackCommand }), destroyed)
    expect(await res.json()).toEqual(sampleAnswer)
    expect((await storedTopic())?.DeletedAt).toBe('2026-11-22T08:00:00.000Z')
  })

  it('ignores the disbanding of a group that is not a Community, and says why', async () => {
    await post(t.app, callbackUrl(), sampleAfterCreateTopic)
    const res = await post(t.app, callbackUrl({ command: destroyed.CallbackCommand }), { ...destroyed, Type: 'Public' })
    expect(res.status).toBe(200)
    expect((await storedTopic())?.DeletedAt).toBeNull()
    const events = (await t.store.listEvents({ limit: 10, after: 0 })).items
    expect(events.at(-1)).toMatchObject({ Outcome: 'ignored', Reason: 'a Public group has no topics' })
  })

  it('refuses a disbanding without its Type, naming the field', async () => {
    const { Type: _, ...noType } = destroyed
    const res = await post(t.app, callbackUrl({ command: destroyed.CallbackCommand }), noType)
    await expectRefusal(
      res,
      400,
      4012,
      'Group.CallbackAfterGroupDestroyed body is invalid: Type is required (a string)',
    )
  })

  it('tells the reconciler which group changed a topic profile, after the commit', async () => {
    const groups: string[] = []
    const withHook = await makeApp({}, { onTopicInfoChanged: (groupId) => groups.push(groupId) })
    try {
      const res = await post(withHook.app, callbackUrl({ command: changed.CallbackCommand }), changed)
      expect(await res.json()).toEqual(sampleAnswer)
      expect(groups).toEqual([GROUP])
      const [event] = (await withHook.store.listEvents({ limit: 10, after: 0 })).items
      expect(event).toMatchObject({
        Outcome: 'ignored',
        Reason: 'no TopicId: reconciling the group with IM applies the change',
      })
    } finally {
      await withHook.store.close()
    }
  })

  it('refuses a topic profile change with a mistyped field, naming it', async () => {
    const res = await post(t.app, callbackUrl({ command: changed.CallbackCommand }), { ...changed, Introduction: 7 })
    await expectRefusal(
      res,
      400,
      4012,
      'Group.CallbackAfterTopicInfoChanged body is invalid: Introduction must be a string, got a number',
    )
  })
})

describe('POST /callback: proving the request came from IM', () => {
  it("verifies the docs' worked example (token xxxxyyyy, RequestTime 1669872112)", async () => {
    expect(sign(workedSignature.token, workedSignature.requestTime)).toBe(workedSignature.sign)
    const worked = await makeApp(
      { IM_CALLBACK_TOKEN: workedSignature.token },
      { nowMs: workedSignature.requestTime * 1000 },
    )
    const url = `/callback?SdkAppid=${SDKAPPID}&CallbackCommand=Group.CallbackAfterCreateTopic&contenttype=json&ClientIP=127.0.0.1&OptPlatform=RESTAPI&RequestTime=${workedSignature.requestTime}&Sign=${workedSignature.sign}`
    expect(await answerOf(await post(worked.app, url, sampleAfterCreateTopic))).toEqual({
      status: 200,
      body: sampleAnswer,
    })
    await worked.store.close()
  })

  it("refuses another app's SdkAppid with 403", async () => {
    await expectRefusal(
      await post(t.app, callbackUrl({ sdkAppId: '1400000001' }), sampleAfterCreateTopic),
      403,
      4002,
      'SdkAppid "1400000001" is not this app\'s SDKAppID',
    )
  })

  it('refuses a request without SdkAppid with 403', async () => {
    const url = callbackUrl().replace(`SdkAppid=${SDKAPPID}&`, '')
    await expectRefusal(await post(t.app, url, sampleAfterCreateTopic), 403, 4002, /SdkAppid is missing/)
  })

  it('refuses a missing Sign', async () => {
    const url = callbackUrl().replace(/&Sign=[0-9a-f]+/, '')
    await expectRefusal(await post(t.app, url, sampleAfterCreateTopic), 401, 4003, /Sign is missing/)
  })

  it('refuses a malformed Sign', async () => {
    const url = callbackUrl().replace(/Sign=[0-9a-f]+/, 'Sign=not-hex')
    await expectRefusal(
      await post(t.app, url, sampleAfterCreateTopic),
      401,
      4004,
      /Sign must be 64 lower-case hex characters/,
    )
  })

  it('refuses an upper-case Sign as malformed', async () => {
    const good = sign('test-callback-token', NOW_S)
    const url = callbackUrl().replace(good, good.toUpperCase())
    await expectRefusal(await post(t.app, url, sampleAfterCreateTopic), 401, 4004, /lower-case hex/)
  })

  it('refuses a Sign made with the wrong token', async () => {
    await expectRefusal(
      await post(t.app, callbackUrl({ token: 'wrong' }), sampleAfterCreateTopic),
      401,
      4005,
      /Sign does not match/,
    )
  })

  it('refuses a RequestTime 61 s in the past', async () => {
    await expectRefusal(
      await post(t.app, callbackUrl({ time: NOW_S - 61 }), sampleAfterCreateTopic),
      401,
      4007,
      'RequestTime is 61 s in the past; the window is 60 s',
    )
  })

  it('refuses a RequestTime 61 s in the future', async () => {
    await expectRefusal(
      await post(t.app, callbackUrl({ time: NOW_S + 61 }), sampleAfterCreateTopic),
      401,
      4007,
      'RequestTime is 61 s in the future; the window is 60 s',
    )
  })

  it('accepts a RequestTime exactly 60 s away in either direction', async () => {
    expect((await post(t.app, callbackUrl({ time: NOW_S - 60 }), topicBody(1))).status).toBe(200)
    expect((await post(t.app, callbackUrl({ time: NOW_S + 60 }), topicBody(2))).status).toBe(200)
  })

  it('refuses a missing or non-numeric RequestTime', async () => {
    const missing = callbackUrl().replace(/&RequestTime=\d+/, '')
    await expectRefusal(await post(t.app, missing, sampleAfterCreateTopic), 401, 4006, /RequestTime is missing/)
    const words = callbackUrl().replace(/RequestTime=\d+/, 'RequestTime=yesterday')
    await expectRefusal(
      await post(t.app, words, sampleAfterCreateTopic),
      401,
      4006,
      'RequestTime "yesterday" is not a Unix time in seconds',
    )
  })

  it('accepts the previous token during a token change', async () => {
    expect(await answerOf(await post(t.app, callbackUrl({ token: PREVIOUS_TOKEN }), sampleAfterCreateTopic))).toEqual({
      status: 200,
      body: sampleAnswer,
    })
  })

  it('does not check Sign when no token is configured', async () => {
    const open = await makeApp({ IM_CALLBACK_TOKEN: undefined })
    const url = `/callback?SdkAppid=${SDKAPPID}&CallbackCommand=Group.CallbackAfterCreateTopic`
    expect((await post(open.app, url, sampleAfterCreateTopic)).status).toBe(200)
    await open.store.close()
  })

  it('records nothing for a request that is not from IM', async () => {
    await post(t.app, callbackUrl({ token: 'wrong' }), sampleAfterCreateTopic)
    await post(t.app, callbackUrl({ sdkAppId: '1' }), sampleAfterCreateTopic)
    expect((await t.store.listEvents({ limit: 10, after: 0 })).items).toEqual([])
  })

  it('never keeps Sign in the event log', async () => {
    await post(t.app, callbackUrl(), sampleAfterCreateTopic)
    const [event] = (await t.store.listEvents({ limit: 10, after: 0 })).items
    expect(event!.Query).not.toHaveProperty('Sign')
    expect(event!.Query).toMatchObject({ SdkAppid: SDKAPPID, RequestTime: String(NOW_S), ClientIP: '127.0.0.1' })
  })
})

describe('POST /callback: malformed bodies', () => {
  it('refuses malformed JSON', async () => {
    await expectRefusal(
      await post(t.app, callbackUrl(), '{"CallbackCommand": '),
      400,
      4008,
      /^The body is not valid JSON/,
    )
  })

  it('refuses an empty body', async () => {
    await expectRefusal(await post(t.app, callbackUrl(), ''), 400, 4008, 'The body is empty; IM sends a JSON object')
  })

  it('refuses a JSON array', async () => {
    await expectRefusal(
      await post(t.app, callbackUrl(), [sampleAfterCreateTopic]),
      400,
      4009,
      'The body must be a JSON object, got an array',
    )
  })

  it('refuses a body that is not UTF-8', async () => {
    await expectRefusal(
      await post(t.app, callbackUrl(), new Uint8Array([0x7b, 0xff, 0xfe, 0x7d])),
      400,
      4008,
      /not valid UTF-8/,
    )
  })

  it("refuses a body whose CallbackCommand differs from the URL's", async () => {
    const res = await post(t.app, callbackUrl({ command: 'Group.CallbackAfterCreateGroup' }), sampleAfterCreateTopic)
    await expectRefusal(
      res,
      400,
      4011,
      'CallbackCommand in the body is "Group.CallbackAfterCreateTopic", but the URL says "Group.CallbackAfterCreateGroup"',
    )
    expect(await storedTopic()).toBeUndefined()
  })

  it('refuses a URL without CallbackCommand', async () => {
    const url = callbackUrl().replace('CallbackCommand=Group.CallbackAfterCreateTopic&', '')
    await expectRefusal(
      await post(t.app, url, sampleAfterCreateTopic),
      400,
      4010,
      'CallbackCommand is missing from the query string',
    )
  })

  it('logs every rejected callback with its reason and raw body, so it can be replayed', async () => {
    await post(t.app, callbackUrl(), '{"CallbackCommand": ')
    const [event] = (await t.store.listEvents({ limit: 10, after: 0 })).items
    expect(event).toMatchObject({
      Outcome: 'rejected',
      Body: '{"CallbackCommand": ',
      CallbackCommand: 'Group.CallbackAfterCreateTopic',
    })
    expect(event!.Reason).toMatch(/^The body is not valid JSON/)
  })
})

describe('POST /callback: the body size cap', () => {
  it('refuses a declared Content-Length over the cap with 413', async () => {
    const big = JSON.stringify({ ...sampleAfterCreateTopic, Name: 'x'.repeat(300 * 1024) })
    await expectRefusal(
      await post(t.app, callbackUrl(), big),
      413,
      4001,
      'The request body is larger than 262144 bytes',
    )
  })

  it('cuts off a streamed body without Content-Length as soon as it passes the cap', async () => {
    let pulled = 0
    const chunk = new Uint8Array(64 * 1024).fill(0x20)
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled++
        if (pulled > 100) controller.close()
        else controller.enqueue(chunk)
      },
    })
    const res = await t.app.request(callbackUrl(), { method: 'POST', body: stream, duplex: 'half' } as RequestInit)
    await expectRefusal(res, 413, 4001, /larger than 262144 bytes/)
    expect(pulled).toBeLessThan(10)
  })

  it('honours MAX_BODY_BYTES', async () => {
    const small = await makeApp({ MAX_BODY_BYTES: '1024' })
    const res = await post(small.app, callbackUrl(), { ...sampleAfterCreateTopic, Name: 'x'.repeat(2000) })
    await expectRefusal(res, 413, 4001, 'The request body is larger than 1024 bytes')
    await small.store.close()
  })

  it('checks the cap before anything else, even for a request that is not from IM', async () => {
    await expectRefusal(
      await post(t.app, callbackUrl({ token: 'wrong' }), 'x'.repeat(300 * 1024)),
      413,
      4001,
      /larger than/,
    )
  })
})

describe('POST /callback: other commands', () => {
  it('answers OK/0 to a command it does not handle, and logs it as ignored', async () => {
    const body = {
      CallbackCommand: 'Group.CallbackAfterCreateGroup',
      GroupId: '@TGS#1',
      Type: 'Community',
      MemberList: [],
      EventTime: '1669872112000',
    }
    expect(await answerOf(await post(t.app, callbackUrl({ command: body.CallbackCommand }), body))).toEqual({
      status: 200,
      body: sampleAnswer,
    })
    const [event] = (await t.store.listEvents({ limit: 10, after: 0 })).items
    expect(event).toMatchObject({ CallbackCommand: 'Group.CallbackAfterCreateGroup', Outcome: 'ignored', Reason: null })
  })

  it('keeps only the metadata of a command it does not act on (EVENT_BODIES=handled, the default), and every body with EVENT_BODIES=all', async () => {
    const message = {
      CallbackCommand: 'Group.CallbackAfterSendMsg',
      GroupId: '@TGS#1',
      MsgBody: [{ MsgType: 'TIMTextElem', MsgContent: { Text: 'private words' } }],
    }
    const bytes = new TextEncoder().encode(JSON.stringify(message)).byteLength
    const topic = { ...sampleAfterCreateTopic, TopicId: '@TGS#_@TGS#cQVLVHIM62CJ@TOPIC#_kept' }
    // A command it does not act on, refused (its body names another command): the body is kept for inspection.
    const mismatched = { ...message, CallbackCommand: 'Group.CallbackAfterSendMsgX' }
    for (const [env, kept] of [
      [{}, false],
      [{ EVENT_BODIES: 'all' }, true],
    ] as const) {
      const app = await makeApp(env)
      expect((await post(app.app, callbackUrl({ command: message.CallbackCommand }), message)).status).toBe(200)
      expect((await post(app.app, callbackUrl(), topic)).status).toBe(200)
      expect((await post(app.app, callbackUrl({ command: message.CallbackCommand }), mismatched)).status).toBe(400)
      const { items } = await app.store.listEvents({ limit: 10, after: 0 })
      expect(
        items.map((e) => [e.CallbackCommand, e.Outcome, e.Body === null ? null : JSON.parse(e.Body), e.BodyBytes]),
      ).toEqual([
        ['Group.CallbackAfterSendMsg', 'ignored', kept ? message : null, bytes],
        ['Group.CallbackAfterCreateTopic', 'stored', topic, expect.any(Number)],
        ['Group.CallbackAfterSendMsg', 'rejected', mismatched, bytes + 1],
      ])
      expect(items[0]!.Query).toMatchObject({ CallbackCommand: 'Group.CallbackAfterSendMsg', ClientIP: '127.0.0.1' })
      await app.store.close()
    }
  })

  it('refuses an EVENT_BODIES or EVENT_RETENTION_* value it does not know, naming the variable', async () => {
    await expect(makeApp({ EVENT_BODIES: 'some' })).rejects.toThrow(
      'EVENT_BODIES must be one of handled, all, got "some"',
    )
    await expect(makeApp({ EVENT_RETENTION_DAYS: '-1' })).rejects.toThrow(
      'EVENT_RETENTION_DAYS must be an integer from 0 to 36500, got "-1"',
    )
    await expect(makeApp({ EVENT_RETENTION_REJECTED: 'yes' })).rejects.toThrow(
      'EVENT_RETENTION_REJECTED must be one of keep, prune, got "yes"',
    )
  })

  it('answers OK/0 to a "before" command whatever its body holds, so users are never blocked', async () => {
    const body = { CallbackCommand: 'Group.CallbackBeforeCreateTopic', Name: 12 }
    expect(await answerOf(await post(t.app, callbackUrl({ command: body.CallbackCommand }), body))).toEqual({
      status: 200,
      body: sampleAnswer,
    })
  })

  it('answers OK to a command named like an Object property', async () => {
    const body = { CallbackCommand: 'constructor' }
    expect(await answerOf(await post(t.app, callbackUrl({ command: 'constructor' }), body))).toEqual({
      status: 200,
      body: sampleAnswer,
    })
  })

  it('marks topics deleted on Group.CallbackAfterTopicDestroyed, keeping the row', async () => {
    await post(t.app, callbackUrl(), sampleAfterCreateTopic)
    const destroyed = {
      CallbackCommand: 'Group.CallbackAfterTopicDestroyed',
      GroupId: sampleAfterCreateTopic.GroupId,
      Type: 'Community',
      TopicIdList: [sampleAfterCreateTopic.TopicId],
    }
    expect((await post(t.app, callbackUrl({ command: destroyed.CallbackCommand }), destroyed)).status).toBe(200)
    expect((await storedTopic())?.DeletedAt).toBe('2026-11-22T08:00:00.000Z')
  })

  it('accepts TopicIdList as a single string', async () => {
    await post(t.app, callbackUrl(), sampleAfterCreateTopic)
    const destroyed = {
      CallbackCommand: 'Group.CallbackAfterTopicDestroyed',
      GroupId: 'g',
      TopicIdList: sampleAfterCreateTopic.TopicId,
    }
    expect((await post(t.app, callbackUrl({ command: destroyed.CallbackCommand }), destroyed)).status).toBe(200)
    expect((await storedTopic())?.DeletedAt).not.toBeNull()
  })

  it('refuses a TopicIdList that is neither an array nor a string', async () => {
    const destroyed = { CallbackCommand: 'Group.CallbackAfterTopicDestroyed', GroupId: 'g', TopicIdList: 5 }
    await expectRefusal(
      await post(t.app, callbackUrl({ command: destroyed.CallbackCommand }), destroyed),
      400,
      4012,
      'TopicIdList must be an array of strings or a string, got a number',
    )
  })
})

describe('answers outside /callback', () => {
  it('answers an unknown route with the FAIL shape and 404', async () => {
    await expectRefusal(await t.app.request('/nope'), 404, 4014, 'No route GET /nope; see /docs')
  })

  it('serves the health and readiness checks', async () => {
    expect(await (await t.app.request('/healthz')).json()).toEqual({ status: 'ok' })
    const ready = await t.app.request('/readyz')
    expect(ready.status).toBe(200)
    expect(await ready.json()).toEqual({ status: 'ready', store: 'sqlite' })
  })
})

import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CallbackAfterCreateTopic, errorCodes, Refusal } from '../../src/contract/index.ts'
import { sign, verifyCallback } from '../../src/verify/index.ts'
import { bearer, makeApp, NOW_MS, NOW_S, SDKAPPID, type TestApp, TOKEN } from '../helpers/app.ts'
import { anyText, body, headers, queryKey } from '../helpers/hostile.ts'

// Property-based tests: whatever arrives, the answer is documented, nothing is stored that should not
// be, and the service keeps answering.

const DOCUMENTED = new Map<number, number>([
  [0, 200],
  ...Object.values(errorCodes).map(({ code, status }) => [code, status] as [number, number]),
])
const encoder = new TextEncoder()

let t: TestApp
beforeAll(async () => {
  t = await makeApp({ MAX_BODY_BYTES: String(64 * 1024) })
})
afterAll(() => t.store.close())

async function expectDocumented(res: Response, { allow500 = false } = {}) {
  const text = await res.text()
  let body: Record<string, unknown>
  try {
    body = JSON.parse(text)
  } catch {
    throw new Error(`status ${res.status} with a non-JSON body: ${text.slice(0, 200)}`)
  }
  expect(Object.keys(body).sort()).toEqual(['ActionStatus', 'ErrorCode', 'ErrorInfo'])
  expect(typeof body.ErrorInfo).toBe('string')
  expect(DOCUMENTED.get(body.ErrorCode as number), `ErrorCode ${body.ErrorCode}`).toBe(res.status)
  expect(body.ActionStatus).toBe(res.status === 200 ? 'OK' : 'FAIL')
  if (!allow500) expect(res.status).not.toBe(500)
  return body
}

/** What the contract says about a signed Group.CallbackAfterCreateTopic body: is it a topic to store? */
function isValidTopic(bytes: Uint8Array): boolean {
  try {
    const value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes))
    const parsed = CallbackAfterCreateTopic.safeParse(value)
    // The schema carries every limit: lengths, no U+0000, no lone surrogate (src/contract/limits.ts).
    return parsed.success
  } catch {
    return false
  }
}

const topicCount = async () => (await t.store.listTopics({ limit: 500, after: 0 })).items.length
const eventCount = async () => (await t.store.listEvents({ limit: 500, after: 0 })).items.length

describe('POST /callback under arbitrary input', () => {
  it('answers unsigned or forged requests in the documented shape, and stores and logs nothing', async () => {
    await fc.assert(
      fc.asyncProperty(fc.dictionary(queryKey, anyText), headers, body, async (query, hdrs, bytes) => {
        const before = [await topicCount(), await eventCount()]
        const res = await t.app.request(`/callback?${new URLSearchParams(query)}`, {
          method: 'POST',
          body: bytes,
          headers: hdrs,
        })
        await expectDocumented(res)
        // Nothing here is signed with the token: no guess at a Sign gets through, so nothing is kept.
        expect(res.status).not.toBe(200)
        expect([await topicCount(), await eventCount()]).toEqual(before)
      }),
      { numRuns: 250 },
    )
  })

  it('answers raw, malformed query strings in the documented shape', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ unit: fc.constantFrom('%', 'z', '&', '=', '?', '#', 'S', '0', 'é', ' ', '+', '\u0000') }),
        async (raw) => {
          const res = await t.app.request(`/callback?${encodeURI(raw)}`, { method: 'POST', body: encoder.encode('{}') })
          await expectDocumented(res)
        },
      ),
      { numRuns: 200 },
    )
  })

  it('stores a topic from a signed callback exactly when its body is valid, and answers every body in the documented shape', async () => {
    const url = `/callback?SdkAppid=${SDKAPPID}&CallbackCommand=Group.CallbackAfterCreateTopic&RequestTime=${NOW_S}&Sign=${sign(TOKEN, NOW_S)}`
    let n = 0
    let validSeen = 0
    await fc.assert(
      fc.asyncProperty(body, headers, async (raw, hdrs) => {
        // A fresh TopicId where the body is an object with one, so that a valid body is a new topic.
        let bytes = raw
        try {
          const value = JSON.parse(new TextDecoder().decode(raw))
          if (value && typeof value === 'object' && !Array.isArray(value) && typeof value.TopicId === 'string') {
            value.TopicId = `fuzz-${n++}`
            bytes = encoder.encode(JSON.stringify(value))
          }
        } catch {
          // Not JSON: sent as it is.
        }
        const before = await topicCount()
        const res = await t.app.request(url, { method: 'POST', body: bytes, headers: hdrs })
        const answer = await expectDocumented(res)
        const valid = bytes.byteLength <= 64 * 1024 && isValidTopic(bytes)
        if (valid) validSeen++
        expect(await topicCount()).toBe(before + (valid ? 1 : 0))
        expect(answer.ActionStatus).toBe(valid ? 'OK' : 'FAIL')
      }),
      { numRuns: 300 },
    )
    // The property is about both sides: the generators must have produced valid topics too.
    expect(validSeen).toBeGreaterThan(20)
  })

  it('keeps answering afterwards', async () => {
    expect((await t.app.request('/healthz')).status).toBe(200)
    expect((await t.app.request('/readyz')).status).toBe(200)
  })
})

describe('the signature check under arbitrary Sign and RequestTime', () => {
  const options = { sdkAppId: SDKAPPID, tokens: [TOKEN], windowSeconds: 60, nowMs: NOW_MS }

  it("refuses, with a Refusal and nothing else, every Sign that is not the token's", () => {
    fc.assert(
      fc.property(anyText, anyText, (Sign, RequestTime) => {
        const genuine =
          /^\d{1,12}$/.test(RequestTime) &&
          Sign === sign(TOKEN, RequestTime) &&
          Math.abs(NOW_S - Number(RequestTime)) <= 60
        try {
          verifyCallback({ SdkAppid: SDKAPPID, Sign, RequestTime }, options)
          expect(genuine).toBe(true)
        } catch (error) {
          expect(error).toBeInstanceOf(Refusal)
          expect(genuine).toBe(false)
        }
      }),
      { numRuns: 2000 },
    )
  })

  it('accepts a genuine Sign for any RequestTime in the window, and refuses it outside', () => {
    fc.assert(
      fc.property(fc.integer({ min: -200, max: 200 }), (skew) => {
        const time = String(NOW_S + skew)
        const attempt = () =>
          verifyCallback({ SdkAppid: SDKAPPID, Sign: sign(TOKEN, time), RequestTime: time }, options)
        if (Math.abs(skew) <= 60) expect(attempt).not.toThrow()
        else expect(attempt).toThrow(Refusal)
      }),
    )
  })
})

describe('the read API under arbitrary parameters', () => {
  it('answers every query in the documented shape or with a page, never a 500', async () => {
    const param = fc.oneof(
      anyText,
      fc.integer().map(String),
      fc.constantFrom('0', '1', '500', '501', '-1', '1e3', 'NaN', 'stored', 'rejected'),
    )
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('/topics', '/events'),
        fc.dictionary(fc.constantFrom('limit', 'cursor', 'GroupId', 'command', 'outcome'), param),
        async (path, query) => {
          const res = await t.app.request(`${path}?${new URLSearchParams(query)}`, { headers: bearer })
          if (res.status === 200) {
            const page = (await res.json()) as { items: unknown[]; nextCursor: unknown }
            expect(Array.isArray(page.items)).toBe(true)
          } else {
            expect(res.status).toBe(400)
            await expectDocumented(res)
          }
        },
      ),
      { numRuns: 300 },
    )
  })

  it('answers any TopicId with the topic or a documented 404', async () => {
    await fc.assert(
      fc.asyncProperty(
        anyText.filter((s) => s.length > 0),
        async (id) => {
          const res = await t.app.request(`/topics/${encodeURIComponent(id)}`, { headers: bearer })
          if (res.status !== 200) {
            expect(res.status).toBe(404)
            await expectDocumented(res)
          }
        },
      ),
      { numRuns: 200 },
    )
  })
})

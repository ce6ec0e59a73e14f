import type { z } from '@hono/zod-openapi'
import {
  createGroupListing,
  describeProblems,
  GroupListPage,
  ImStatus,
  type ImTopic,
  readTopicListing,
  type SkippedTopic,
  TopicListAnswer,
} from './im-answers.ts'
import { ImApiError } from './im-api-error.ts'
import { makeUserSig } from './make-user-sig.ts'
import { AnswerTooLarge, readAnswer } from './read-answer.ts'

export type { ImTopic } from './im-answers.ts'
export { ImApiError } from './im-api-error.ts'

/**
 * Options of {@link createImRestClient}.
 *
 * @example
 * ```ts
 * const options: ImRestClientOptions = { apiBase: 'https://adminapisgp.im.qcloud.com', sdkAppId, identifier: 'administrator', secretKey }
 * ```
 */
export interface ImRestClientOptions {
  /** `https://console.tim.qq.com`, or the domain of the app's region. */
  apiBase: string
  sdkAppId: string
  /** The app admin account the calls are made as. */
  identifier: string
  secretKey: string
  fetch?: typeof fetch
  /** The clock, in milliseconds. */
  now?: () => number
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>
  /** How long one call may take, its whole answer read: an answer that trickles in is a timeout. */
  timeoutMs?: number
  /** How many times a transient failure is tried again, with exponential backoff. */
  retries?: number
  /** The most bytes one answer may have; a larger one fails its call. */
  maxAnswerBytes?: number
}

/**
 * What a call may be given: a signal that ends it at once (the service stopping).
 *
 * @example
 * ```ts
 * await client.getTopics(groupId, { signal: AbortSignal.timeout(10_000) })
 * ```
 */
export interface CallOptions {
  signal?: AbortSignal | undefined
}

/**
 * A Community's topics as `get_topic` answered them, checked. `skipped` are the topics whose fields no
 * stored row could hold (a name of another type, an ID of 5,000 characters…): they are listed, so
 * they are not deleted, and left as they are; each entry says why.
 *
 * @example
 * ```ts
 * const listing: GroupTopics = { exists: true, topics: [], skipped: [] }
 * ```
 */
export type GroupTopics = { exists: true; topics: ImTopic[]; skipped: SkippedTopic[] } | { exists: false }

/**
 * The two calls reconciliation makes. Each answer is checked whole before it is returned: a malformed,
 * inconsistent or incomplete one is an {@link ImApiError}, never a shorter list.
 *
 * @example
 * ```ts
 * for (const groupId of await client.listCommunityGroupIds()) console.log(await client.getTopics(groupId))
 * ```
 */
export interface ImRestClient {
  /** Every Community of the app, through all pages of `get_appid_group_list`, or an error: never part of them. */
  listCommunityGroupIds(options?: CallOptions): Promise<string[]>
  /** Every topic of a Community (`get_topic`), or `exists: false` when IM says the group is gone. */
  getTopics(groupId: string, options?: CallOptions): Promise<GroupTopics>
}

// Documented call rates (pages 1047/34960 and 1047/49469): the group list about once a second,
// get_topic 200 times a second. Calls are spaced to stay under them, with a tenth to spare: IM counts
// when a call arrives, and network jitter can bring two calls closer than they were sent.
const GROUP_LIST = 'group_open_http_svc/get_appid_group_list'
const GET_TOPIC = 'million_group_open_http_svc/get_topic'
const MIN_INTERVAL_MS = { [GROUP_LIST]: 1100, [GET_TOPIC]: 5.5 } as const
type Call = keyof typeof MIN_INTERVAL_MS

// 10002: "internal server error; try again". 10010: the group does not exist or was disbanded;
// 10015: the group ID is invalid (both: the group is gone).
const TRANSIENT_CODES = new Set([10002])
const GROUP_GONE_CODES = new Set([10010, 10015])
const USERSIG_LIFETIME_S = 86_400

/** Waits `ms`, or less when `signal` aborts. */
function sleepFor(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms)
    function done() {
      clearTimeout(timer)
      signal?.removeEventListener('abort', done)
      resolve()
    }
    signal?.addEventListener('abort', done, { once: true })
  })
}

/**
 * A client of IM's REST API for reconciliation: signs each call with the admin's UserSig, stays under
 * the documented call rates, retries transient failures (timeouts, network errors, HTTP 5xx and 429,
 * ErrorCode 10002) with backoff, caps each answer in size and time, checks it against the documented
 * shape, and turns anything else into an {@link ImApiError} that names the call, the group and what
 * was wrong. The secret key never leaves this module: it is not logged and not in errors.
 *
 * @example
 * ```ts
 * const client = createImRestClient({ apiBase: 'https://console.tim.qq.com', sdkAppId, identifier: 'administrator', secretKey })
 * ```
 */
export function createImRestClient({
  apiBase,
  sdkAppId,
  identifier,
  secretKey,
  fetch: fetchImpl = globalThis.fetch,
  now = Date.now,
  sleep = sleepFor,
  timeoutMs = 5000,
  retries = 3,
  maxAnswerBytes = 16 * 1024 * 1024,
}: ImRestClientOptions): ImRestClient {
  const base = apiBase.replace(/\/+$/, '')
  let userSig: { value: string; madeAt: number } | undefined
  const nextCallAt = new Map<Call, number>()

  function currentUserSig(): string {
    const seconds = Math.floor(now() / 1000)
    // Renewed at half its lifetime, so that a call never carries one about to expire.
    if (!userSig || seconds - userSig.madeAt > USERSIG_LIFETIME_S / 2) {
      const value = makeUserSig({
        sdkAppId,
        identifier,
        secretKey,
        nowSeconds: seconds,
        expireSeconds: USERSIG_LIFETIME_S,
      })
      userSig = { value, madeAt: seconds }
    }
    return userSig.value
  }

  async function pace(call: Call, signal: AbortSignal | undefined): Promise<void> {
    const at = nextCallAt.get(call) ?? 0
    nextCallAt.set(call, Math.max(at, now()) + MIN_INTERVAL_MS[call])
    // Timers may fire a little early: wait until the clock really says so.
    while (now() < at) {
      signal?.throwIfAborted()
      await sleep(at - now() + 1, signal)
    }
    signal?.throwIfAborted()
  }

  const whereOf = (call: Call, groupId: string | undefined) =>
    `IM ${call.split('/')[1]}${groupId === undefined ? '' : ` for group ${groupId}`}`

  /** An answer that came but cannot be believed: nothing of it is used, and asking again will not help. */
  const malformed = (call: Call, groupId: string | undefined, why: string) =>
    new ImApiError(`${whereOf(call, groupId)} failed: ${why}`, { call, groupId, transient: false, malformed: true })

  async function once(call: Call, body: unknown, groupId: string | undefined, signal?: AbortSignal): Promise<unknown> {
    await pace(call, signal)
    const query = new URLSearchParams({
      sdkappid: sdkAppId,
      identifier,
      usersig: currentUserSig(),
      random: String(Math.floor(Math.random() * 4_294_967_295)),
      contenttype: 'json',
    })
    const where = whereOf(call, groupId)
    const deadline = AbortSignal.timeout(timeoutMs)
    let bytes: Uint8Array
    let status: number
    try {
      const res = await fetchImpl(`${base}/v4/${call}?${query}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: signal ? AbortSignal.any([signal, deadline]) : deadline,
      })
      status = res.status
      if (status !== 200) {
        await res.body?.cancel()
        throw new ImApiError(`${where} failed: HTTP ${status}`, {
          call,
          groupId,
          transient: status === 429 || status >= 500,
        })
      }
      bytes = await readAnswer(res, maxAnswerBytes)
    } catch (error) {
      if (error instanceof ImApiError) throw error
      signal?.throwIfAborted()
      if (error instanceof AnswerTooLarge) throw malformed(call, groupId, error.message)
      const why = deadline.aborted
        ? `${base} did not answer within ${timeoutMs} ms`
        : `${base} could not be reached (${error instanceof Error ? error.message : String(error)})`
      throw new ImApiError(`${where} failed: ${why}`, { call, groupId, transient: true }, { cause: error })
    }
    let answer: unknown
    try {
      answer = JSON.parse(new TextDecoder().decode(bytes))
    } catch (error) {
      throw new ImApiError(
        `${where} failed: the answer is not JSON`,
        { call, groupId, transient: true },
        { cause: error },
      )
    }
    const checked = ImStatus.safeParse(answer)
    if (!checked.success)
      throw malformed(call, groupId, `the answer is not one of IM's: ${describeProblems(checked.error)}`)
    const { ActionStatus, ErrorCode, ErrorInfo } = checked.data
    if (ActionStatus !== 'OK' || ErrorCode !== 0) {
      if (ErrorCode === 0) throw malformed(call, groupId, `ActionStatus is ${ActionStatus} with ErrorCode 0`)
      const info = ErrorInfo ? ` (${ErrorInfo.slice(0, 200)})` : ''
      throw new ImApiError(`${where} failed: ErrorCode ${ErrorCode}${info}`, {
        call,
        groupId,
        errorCode: ErrorCode,
        transient: TRANSIENT_CODES.has(ErrorCode),
      })
    }
    return answer
  }

  async function post(call: Call, body: unknown, groupId?: string, signal?: AbortSignal): Promise<unknown> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await once(call, body, groupId, signal)
      } catch (error) {
        if (!(error instanceof ImApiError) || !error.details.transient || attempt >= retries) throw error
        // 250 ms, 500 ms, 1 s…, with jitter so that replicas do not retry in step.
        await sleep(250 * 2 ** attempt * (0.5 + Math.random()), signal)
        signal?.throwIfAborted()
      }
    }
  }

  /** The answer in the shape `schema` documents, or an error that names the field. */
  function checked<T extends z.ZodType>(schema: T, answer: unknown, call: Call, groupId?: string): z.infer<T> {
    const result = schema.safeParse(answer)
    if (!result.success)
      throw malformed(call, groupId, `the answer does not match IM's: ${describeProblems(result.error)}`)
    return result.data
  }

  return {
    async listCommunityGroupIds({ signal } = {}) {
      const listing = createGroupListing((why) => malformed(GROUP_LIST, undefined, why))
      let next = 0
      do {
        const answer = await post(GROUP_LIST, { Limit: 10_000, Next: next, GroupType: 'Community' }, undefined, signal)
        next = listing.add(checked(GroupListPage, answer, GROUP_LIST))
      } while (next !== 0)
      return listing.finish()
    },

    async getTopics(groupId, { signal } = {}) {
      let answer: unknown
      try {
        answer = await post(GET_TOPIC, { GroupId: groupId, From_Account: identifier }, groupId, signal)
      } catch (error) {
        if (error instanceof ImApiError && GROUP_GONE_CODES.has(error.details.errorCode ?? 0)) return { exists: false }
        throw error
      }
      const listing = checked(TopicListAnswer, answer, GET_TOPIC, groupId)
      return { exists: true, ...readTopicListing(groupId, listing, (why) => malformed(GET_TOPIC, groupId, why)) }
    },
  }
}

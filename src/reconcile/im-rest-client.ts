import type { TopicProfile } from '../store/types.ts'
import { makeUserSig } from './make-user-sig.ts'

/**
 * A call to IM's REST API that failed: it names the call and the group, and says whether trying again
 * later may help.
 *
 * @example
 * ```ts
 * try { await client.getTopics(groupId) } catch (error) { if (error instanceof ImApiError) console.error(error.message) }
 * ```
 */
export class ImApiError extends Error {
  override readonly name = 'ImApiError'
  readonly details: { call: string; groupId?: string | undefined; errorCode?: number | undefined; transient: boolean }
  constructor(message: string, details: ImApiError['details'], options?: ErrorOptions) {
    super(message, options)
    this.details = details
  }
}

/**
 * A topic as IM's `get_topic` answers it.
 *
 * @example
 * ```ts
 * const topic: ImTopic = { GroupId: 'g', TopicId: 't', Name: 'news', Introduction: null, Notification: null, FaceUrl: null, CustomString: null }
 * ```
 */
export interface ImTopic extends TopicProfile {
  GroupId: string
  TopicId: string
}

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
  sleep?: (ms: number) => Promise<void>
  /** How long one call may take. */
  timeoutMs?: number
  /** How many times a transient failure is tried again, with exponential backoff. */
  retries?: number
}

/**
 * The two calls reconciliation makes.
 *
 * @example
 * ```ts
 * for (const groupId of await client.listCommunityGroupIds()) console.log(await client.getTopics(groupId))
 * ```
 */
export interface ImRestClient {
  /** Every Community of the app, through all pages of `get_appid_group_list`. */
  listCommunityGroupIds(): Promise<string[]>
  /** Every topic of a Community (`get_topic`), or `exists: false` when IM says the group is gone. */
  getTopics(groupId: string): Promise<{ exists: true; topics: ImTopic[] } | { exists: false }>
}

// Documented call rates (pages 1047/34960 and 1047/49469): the group list about once a second,
// get_topic 200 times a second. Calls are spaced to stay under them, with a tenth to spare: IM counts
// when a call arrives, and network jitter can bring two calls closer than they were sent.
const MIN_INTERVAL_MS = {
  'group_open_http_svc/get_appid_group_list': 1100,
  'million_group_open_http_svc/get_topic': 5.5,
} as const
type Call = keyof typeof MIN_INTERVAL_MS

// 10002: "internal server error; try again". 10010: the group does not exist or was disbanded;
// 10015: the group ID is invalid (both: the group is gone).
const TRANSIENT_CODES = new Set([10002])
const GROUP_GONE_CODES = new Set([10010, 10015])
const USERSIG_LIFETIME_S = 86_400

interface ImAnswer {
  ActionStatus?: string
  ErrorCode?: number
  ErrorInfo?: string
  [key: string]: unknown
}

// No database text column holds U+0000: IM's answers are stored without it.
const text = (value: unknown): string | null => (typeof value === 'string' ? value.replaceAll('\0', '\uFFFD') : null)

/**
 * A client of IM's REST API for reconciliation: signs each call with the admin's UserSig, stays under
 * the documented call rates, retries transient failures (timeouts, network errors, HTTP 5xx and 429,
 * ErrorCode 10002) with backoff, and turns any other IM error into an {@link ImApiError} that names
 * the call and the group. The secret key never leaves this module: it is not logged and not in errors.
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
  sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  timeoutMs = 5000,
  retries = 3,
}: ImRestClientOptions): ImRestClient {
  const base = apiBase.replace(/\/+$/, '')
  let userSig: { value: string; madeAt: number } | undefined
  const nextCallAt = new Map<Call, number>()

  function currentUserSig(): string {
    const seconds = Math.floor(now() / 1000)
    // Renewed at half its lifetime, so that a call never carries one about to expire.
    if (!userSig || seconds - userSig.madeAt > USERSIG_LIFETIME_S / 2) {
      userSig = {
        value: makeUserSig({ sdkAppId, identifier, secretKey, nowSeconds: seconds, expireSeconds: USERSIG_LIFETIME_S }),
        madeAt: seconds,
      }
    }
    return userSig.value
  }

  async function pace(call: Call): Promise<void> {
    const at = nextCallAt.get(call) ?? 0
    nextCallAt.set(call, Math.max(at, now()) + MIN_INTERVAL_MS[call])
    // Timers may fire a little early: wait until the clock really says so.
    while (now() < at) await sleep(at - now() + 1)
  }

  async function once(call: Call, body: unknown, groupId: string | undefined): Promise<ImAnswer> {
    await pace(call)
    const query = new URLSearchParams({
      sdkappid: sdkAppId,
      identifier,
      usersig: currentUserSig(),
      random: String(Math.floor(Math.random() * 4_294_967_295)),
      contenttype: 'json',
    })
    const where = `IM ${call.split('/')[1]}${groupId === undefined ? '' : ` for group ${groupId}`}`
    let res: Response
    try {
      res = await fetchImpl(`${base}/v4/${call}?${query}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      })
    } catch (error) {
      const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')
      const why = timedOut
        ? `did not answer within ${timeoutMs} ms`
        : `could not be reached (${error instanceof Error ? error.message : String(error)})`
      throw new ImApiError(`${where} failed: ${base} ${why}`, { call, groupId, transient: true }, { cause: error })
    }
    if (res.status !== 200) {
      await res.body?.cancel()
      throw new ImApiError(`${where} failed: HTTP ${res.status}`, {
        call,
        groupId,
        transient: res.status === 429 || res.status >= 500,
      })
    }
    let answer: ImAnswer
    try {
      answer = (await res.json()) as ImAnswer
    } catch (error) {
      throw new ImApiError(
        `${where} failed: the answer is not JSON`,
        { call, groupId, transient: true },
        { cause: error },
      )
    }
    const code = typeof answer.ErrorCode === 'number' ? answer.ErrorCode : answer.ActionStatus === 'OK' ? 0 : -1
    if (code !== 0) {
      const info = typeof answer.ErrorInfo === 'string' ? answer.ErrorInfo.slice(0, 200) : ''
      throw new ImApiError(`${where} failed: ErrorCode ${code}${info ? ` (${info})` : ''}`, {
        call,
        groupId,
        errorCode: code,
        transient: TRANSIENT_CODES.has(code),
      })
    }
    return answer
  }

  async function post(call: Call, body: unknown, groupId?: string): Promise<ImAnswer> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await once(call, body, groupId)
      } catch (error) {
        if (!(error instanceof ImApiError) || !error.details.transient || attempt >= retries) throw error
        // 250 ms, 500 ms, 1 s…, with jitter so that replicas do not retry in step.
        await sleep(250 * 2 ** attempt * (0.5 + Math.random()))
      }
    }
  }

  return {
    async listCommunityGroupIds() {
      const ids: string[] = []
      let next = 0
      do {
        const answer = await post('group_open_http_svc/get_appid_group_list', {
          Limit: 10_000,
          Next: next,
          GroupType: 'Community',
        })
        const list = Array.isArray(answer.GroupIdList) ? answer.GroupIdList : []
        for (const item of list) {
          const id = text((item as { GroupId?: unknown })?.GroupId)
          if (id !== null) ids.push(id)
        }
        const after = Number(answer.Next ?? 0)
        if (!Number.isFinite(after) || (after !== 0 && after === next)) {
          throw new ImApiError(`IM get_appid_group_list failed: its Next (${String(answer.Next)}) does not move on`, {
            call: 'group_open_http_svc/get_appid_group_list',
            transient: false,
          })
        }
        next = after
      } while (next !== 0)
      return ids
    },

    async getTopics(groupId) {
      let answer: ImAnswer
      try {
        answer = await post(
          'million_group_open_http_svc/get_topic',
          { GroupId: groupId, From_Account: identifier },
          groupId,
        )
      } catch (error) {
        if (error instanceof ImApiError && GROUP_GONE_CODES.has(error.details.errorCode ?? 0)) return { exists: false }
        throw error
      }
      const entries = Array.isArray(answer.TopicAndSelfInfo) ? answer.TopicAndSelfInfo : []
      const topics: ImTopic[] = []
      for (const entry of entries as Array<{
        TopicInfo?: Record<string, unknown>
        ErrorCode?: number
        ErrorInfo?: string
      }>) {
        const info = entry.TopicInfo ?? {}
        const topicId = text(info.TopicId)
        if (entry.ErrorCode || topicId === null) {
          // One topic IM could not read: the listing is not whole, so nothing of the group is trusted.
          throw new ImApiError(
            `IM get_topic for group ${groupId} failed for topic ${topicId ?? '(no TopicId)'}: ErrorCode ${entry.ErrorCode ?? 'none'}${entry.ErrorInfo ? ` (${String(entry.ErrorInfo).slice(0, 200)})` : ''}`,
            { call: 'million_group_open_http_svc/get_topic', groupId, errorCode: entry.ErrorCode, transient: false },
          )
        }
        topics.push({
          GroupId: groupId,
          TopicId: topicId,
          Name: text(info.TopicName) ?? '',
          Introduction: text(info.Introduction),
          Notification: text(info.Notification),
          FaceUrl: text(info.FaceUrl),
          CustomString: text(info.CustomString),
        })
      }
      return { exists: true, topics }
    },
  }
}

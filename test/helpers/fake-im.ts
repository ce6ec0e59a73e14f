import { createHmac, timingSafeEqual } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { inflateSync } from 'node:zlib'

/** The app the fake IM serves; the service under test is configured with the same. */
export const IM_ADMIN = 'administrator'
export const IM_SECRET_KEY = 'fake-im-secret-key-0123456789abcdef'

/** A topic as IM's `get_topic` answers it (TopicInfo, with the fields the tests use). */
export interface FakeTopic {
  TopicId: string
  TopicName: string
  Introduction?: string
  Notification?: string
  FaceUrl?: string
  CustomString?: string
  /** When IM says it was created, in seconds; 1,700,000,000 when not given. */
  CreateTime?: number
}

/** What the next calls of one command answer instead of the truth. */
export type Fault =
  | { kind: 'error'; errorCode: number; errorInfo: string }
  | { kind: 'slow'; ms: number }
  | { kind: 'http'; status: number }
  /** HTTP 200 with this JSON answer, whatever it is: a hostile or broken IM. */
  | { kind: 'answer'; answer: unknown | ((body: Record<string, unknown>) => unknown) }
  /** HTTP 200 with a body that never ends, until the client goes away. */
  | { kind: 'endless' }
  /** HTTP 200, then one byte of a valid answer every `everyMs`. */
  | { kind: 'trickle'; everyMs: number }

type Command = 'get_appid_group_list' | 'get_topic'

/** IM's REST API, played from Tencent's documented request and answer shapes. */
export interface FakeIm {
  url: string
  /** The Communities and their topics: what IM holds. Tests change it freely. */
  groups: Map<string, Map<string, FakeTopic>>
  /** Every call that reached it, in order. */
  calls: Array<{ command: Command; body: Record<string, unknown>; at: number }>
  /** Group list calls refused (HTTP 429) for coming sooner than a second after the last one (IM's documented rate). */
  rateViolations: number
  /** Makes the next `times` calls of `command` answer `fault`. */
  fail(command: Command, fault: Fault, times?: number): void
  addTopic(groupId: string, topic: FakeTopic): void
  close(): Promise<void>
}

/** Checks a UserSig as IM would: Tencent's base64, zlib, the JSON document, and its HMAC-SHA256. */
export function checkUserSig(
  userSig: string,
  {
    sdkAppId,
    identifier,
    secretKey,
    nowSeconds,
  }: { sdkAppId: string; identifier: string; secretKey: string; nowSeconds: number },
): string | null {
  let doc: Record<string, unknown>
  try {
    const base64 = userSig.replace(/\*/g, '+').replace(/-/g, '/').replace(/_/g, '=')
    doc = JSON.parse(inflateSync(Buffer.from(base64, 'base64')).toString('utf8'))
  } catch {
    return 'the UserSig cannot be decoded'
  }
  if (doc['TLS.ver'] !== '2.0') return 'the UserSig is not version 2.0'
  if (doc['TLS.identifier'] !== identifier) return 'the UserSig is for another identifier'
  if (String(doc['TLS.sdkappid']) !== sdkAppId) return 'the UserSig is for another SDKAppID'
  const time = Number(doc['TLS.time'])
  const expire = Number(doc['TLS.expire'])
  if (!(time <= nowSeconds + 60 && nowSeconds < time + expire)) return 'the UserSig has expired'
  const signed = `TLS.identifier:${identifier}\nTLS.sdkappid:${sdkAppId}\nTLS.time:${time}\nTLS.expire:${expire}\n`
  const expected = createHmac('sha256', secretKey).update(signed).digest()
  const given = Buffer.from(String(doc['TLS.sig']), 'base64')
  return given.length === expected.length && timingSafeEqual(given, expected)
    ? null
    : 'the UserSig signature does not match'
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body))
}

/** A JSON answer that never ends: `{"ActionStatus":"OK","Pad":"xxxx…` for as long as anyone reads. */
function endless(res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'application/json' })
  res.write('{"ActionStatus":"OK","ErrorCode":0,"Pad":"')
  const chunk = 'x'.repeat(64 * 1024)
  const more = () => {
    while (!res.destroyed && res.write(chunk)) {}
    if (!res.destroyed) res.once('drain', more)
  }
  res.on('close', () => res.removeAllListeners('drain'))
  more()
}

/** A valid answer, one byte every `everyMs`: it would take minutes to arrive whole. */
function trickle(res: ServerResponse, everyMs: number): void {
  res.writeHead(200, { 'content-type': 'application/json' })
  const text = JSON.stringify({ ActionStatus: 'OK', ErrorCode: 0, ErrorInfo: '', Pad: ' '.repeat(10_000) })
  let at = 0
  const timer = setInterval(() => {
    if (res.destroyed || at >= text.length) {
      clearInterval(timer)
      if (!res.destroyed) res.end()
      return
    }
    res.write(text[at++])
  }, everyMs)
  res.on('close', () => clearInterval(timer))
}

/**
 * Starts a fake IM REST API on 127.0.0.1: `get_appid_group_list` (paged by `Next`, `pageSize` groups a
 * page) and `get_topic`, each checking `sdkappid`, `identifier`, `usersig`, `random` and
 * `contenttype` as IM does, with faults on demand (an error code, a slow answer, an HTTP status).
 */
export async function startFakeIm({
  sdkAppId = '1400000000',
  pageSize = 2,
  enforceRate = true,
}: {
  sdkAppId?: string
  pageSize?: number
  /** Refuse group list calls closer than a second apart, as IM does; off for clients on a virtual clock. */
  enforceRate?: boolean
} = {}): Promise<FakeIm> {
  const groups = new Map<string, Map<string, FakeTopic>>()
  const calls: FakeIm['calls'] = []
  const faults: Array<{ command: Command; fault: Fault; times: number }> = []
  let lastGroupListAt = -Infinity
  const fake = { rateViolations: 0 }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake-im')
    const command = url.pathname.split('/').pop() as Command
    if (
      req.method !== 'POST' ||
      !['/v4/group_open_http_svc/get_appid_group_list', '/v4/million_group_open_http_svc/get_topic'].includes(
        url.pathname,
      )
    ) {
      return send(res, 404, { ActionStatus: 'FAIL', ErrorCode: 60020, ErrorInfo: 'no such API' })
    }
    let raw = ''
    for await (const chunk of req) raw += chunk
    const body = JSON.parse(raw || '{}') as Record<string, unknown>
    const now = Date.now()
    calls.push({ command, body, at: now })
    const q = Object.fromEntries(url.searchParams)
    const random = Number(q.random)
    if (
      q.sdkappid !== sdkAppId ||
      q.identifier !== IM_ADMIN ||
      q.contenttype !== 'json' ||
      !/^\d+$/.test(q.random ?? '') ||
      random > 4_294_967_295
    ) {
      return send(res, 200, {
        ActionStatus: 'FAIL',
        ErrorCode: 60003,
        ErrorInfo: 'invalid sdkappid, identifier, random or contenttype',
      })
    }
    const sigProblem = checkUserSig(q.usersig ?? '', {
      sdkAppId,
      identifier: IM_ADMIN,
      secretKey: IM_SECRET_KEY,
      nowSeconds: Math.floor(now / 1000),
    })
    if (sigProblem) return send(res, 200, { ActionStatus: 'FAIL', ErrorCode: 70003, ErrorInfo: sigProblem })
    if (command === 'get_appid_group_list' && enforceRate) {
      // IM's rate for the group list: about one call a second. A faster call is refused. The client
      // spaces its calls a second apart when it sends them; they arrive here with the jitter of two
      // busy event loops, so a call 900 ms after the last is taken as on time (a client that does not
      // pace at all sends them milliseconds apart).
      if (now - lastGroupListAt < 900) {
        fake.rateViolations++
        return send(res, 429, { ActionStatus: 'FAIL', ErrorCode: 429, ErrorInfo: 'too many requests' })
      }
      lastGroupListAt = now
    }
    const faulty = faults.find((f) => f.command === command && f.times > 0)
    if (faulty) {
      faulty.times--
      const { fault } = faulty
      if (fault.kind === 'slow') await new Promise((r) => setTimeout(r, fault.ms))
      else if (fault.kind === 'http') return send(res, fault.status, { error: 'injected' })
      else if (fault.kind === 'answer')
        return send(res, 200, typeof fault.answer === 'function' ? fault.answer(body) : fault.answer)
      else if (fault.kind === 'endless') return endless(res)
      else if (fault.kind === 'trickle') return trickle(res, fault.everyMs)
      else return send(res, 200, { ActionStatus: 'FAIL', ErrorCode: fault.errorCode, ErrorInfo: fault.errorInfo })
    }
    if (command === 'get_appid_group_list') {
      if (body.GroupType !== 'Community')
        return send(res, 200, { ActionStatus: 'FAIL', ErrorCode: 10004, ErrorInfo: 'this fake lists Communities only' })
      const ids = [...groups.keys()].sort()
      const from = Number(body.Next ?? 0)
      const page = ids.slice(from, from + Math.min(pageSize, Number(body.Limit ?? 10_000)))
      const next = from + page.length < ids.length ? from + page.length : 0
      return send(res, 200, {
        ActionStatus: 'OK',
        ErrorCode: 0,
        ErrorInfo: '',
        TotalCount: ids.length,
        GroupIdList: page.map((GroupId) => ({ GroupId })),
        Next: next,
      })
    }
    const groupId = String(body.GroupId ?? '')
    if (typeof body.From_Account !== 'string')
      return send(res, 200, { ActionStatus: 'FAIL', ErrorCode: 10004, ErrorInfo: 'From_Account is required' })
    const topics = groups.get(groupId)
    if (!topics)
      return send(res, 200, {
        ActionStatus: 'FAIL',
        ErrorCode: 10010,
        ErrorInfo: 'group does not exist or has been disbanded',
      })
    return send(res, 200, {
      ActionStatus: 'OK',
      ErrorCode: 0,
      ErrorInfo: '',
      TopicAndSelfInfo: [...topics.values()].map((t) => ({
        TopicInfo: {
          ...t,
          GroupID: groupId,
          CreateTime: 1_700_000_000,
          ...(t.CreateTime === undefined ? {} : { CreateTime: t.CreateTime }),
          LastMsgTime: 0,
          NextMsgSeq: 1,
          ShutUpAllFlag: 'Off',
        },
        SelfInfo: { MsgFlag: 'AcceptAndNotify' },
        ErrorCode: 0,
        ErrorInfo: '',
      })),
    })
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error) => send(res, 500, { error: String(error) }))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    groups,
    calls,
    get rateViolations() {
      return fake.rateViolations
    },
    fail: (command, fault, times = 1) => void faults.push({ command, fault, times }),
    addTopic(groupId, topic) {
      if (!groups.has(groupId)) groups.set(groupId, new Map())
      groups.get(groupId)!.set(topic.TopicId, topic)
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

import { randomBytes } from 'node:crypto'
import { openapiDocument } from '../../generated/spec.ts'
import { sign } from '../verify/sign.ts'

/**
 * What `send` posts, and where.
 *
 * @example
 * ```ts
 * const options: SendOptions = { url: 'http://127.0.0.1:8080/callback', sdkAppId: '1400000000', command: 'Group.CallbackAfterCreateGroup', body: { CallbackCommand: 'Group.CallbackAfterCreateGroup' } }
 * ```
 */
export interface SendOptions {
  url: string
  sdkAppId: string
  /** Unset: no Sign or RequestTime, as IM does with callback authentication off. */
  token?: string | undefined
  /** Unix seconds for RequestTime; the clock by default. */
  time?: number | undefined
  command: string
  body: Record<string, unknown>
  clientIp?: string
  optPlatform?: string
}

/**
 * IM's view of an answer.
 *
 * @example
 * ```ts
 * const { ok, status, answer } = await sendCallback(options)
 * ```
 */
export interface SendResult {
  status: number
  ok: boolean
  answer: { ActionStatus?: unknown; ErrorCode?: unknown; ErrorInfo?: unknown } | null
  text: string
}

/**
 * A body for a command, as IM would send it: the documented sample from openapi.yaml for the topic
 * commands (with a fresh TopicId, so that each send stores a new topic), and a minimal one for others.
 *
 * @example
 * ```ts
 * sampleBody('Group.CallbackAfterCreateTopic').TopicId // '@TGS#_@TGS#cQVLVHIM62CJ@TOPIC#_@TOPIC#…'
 * ```
 */
export function sampleBody(command: string): Record<string, unknown> {
  const suffix = randomBytes(6).toString('hex').toUpperCase()
  if (command === 'Group.CallbackAfterCreateTopic') {
    return {
      ...documentedSample('CallbackAfterCreateTopic'),
      TopicId: `@TGS#_@TGS#cQVLVHIM62CJ@TOPIC#_@TOPIC#${suffix}`,
    }
  }
  if (command === 'Group.CallbackAfterTopicDestroyed') {
    return {
      ...documentedSample('CallbackAfterTopicDestroyed'),
      TopicIdList: [`@TGS#_@TGS#cQVLVHIM62CJ@TOPIC#_@TOPIC#${suffix}`],
    }
  }
  return {
    CallbackCommand: command,
    GroupId: '@TGS#2J4SZEAEL',
    Type: 'Community',
    Operator_Account: 'group_root',
    EventTime: Date.now(),
  }
}

/** The example of a body schema in openapi.yaml: IM's documented sample, kept in one place. */
function documentedSample(schema: 'CallbackAfterCreateTopic' | 'CallbackAfterTopicDestroyed'): Record<string, unknown> {
  const { components } = openapiDocument as {
    components: { schemas: Record<string, { example: Record<string, unknown> }> }
  }
  return structuredClone(components.schemas[schema]!.example)
}

/**
 * Signs a callback as Tencent Cloud IM does and posts it: the query parameters IM appends, `Sign` and
 * `RequestTime` when a token is given, the JSON body with no Content-Type header (as in IM's sample).
 *
 * @example
 * ```ts
 * const result = await sendCallback({ url: 'http://127.0.0.1:8080/callback', sdkAppId: '1400000000',
 *   token: 'secret', command: 'Group.CallbackAfterCreateTopic', body: sampleBody('Group.CallbackAfterCreateTopic') })
 * result.ok // true when IM would count it a success
 * ```
 */
export async function sendCallback(options: SendOptions): Promise<SendResult> {
  const url = new URL(options.url)
  const params: Record<string, string> = {
    SdkAppid: options.sdkAppId,
    CallbackCommand: options.command,
    contenttype: 'json',
    ClientIP: options.clientIp ?? '127.0.0.1',
    OptPlatform: options.optPlatform ?? 'RESTAPI',
  }
  if (options.token !== undefined) {
    const time = options.time ?? Math.floor(Date.now() / 1000)
    params.RequestTime = String(time)
    params.Sign = sign(options.token, time)
  }
  for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value)
  const res = await fetch(url, { method: 'POST', body: new TextEncoder().encode(JSON.stringify(options.body)) })
  const text = await res.text()
  let answer: SendResult['answer'] = null
  try {
    const parsed: unknown = JSON.parse(text)
    if (parsed && typeof parsed === 'object') answer = parsed as SendResult['answer']
  } catch {
    // IM counts a non-JSON answer as a failure; so does send.
  }
  // IM's rule: a success is HTTP 200 with a JSON body; for "before" commands ErrorCode 0 allows the action.
  const ok = res.status === 200 && answer !== null && answer.ActionStatus === 'OK' && answer.ErrorCode === 0
  return { status: res.status, ok, answer, text }
}

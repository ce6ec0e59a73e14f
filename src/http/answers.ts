import type { Context } from 'hono'
import { type Refusal, refusalAnswer } from '../contract/refusal.ts'
import type { CallbackReply } from './callback-core.ts'

/** The headers of every answer in the contract's shape; the closing ones end the connection after it. */
export const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8' }
export const CLOSING_HEADERS = { ...JSON_HEADERS, connection: 'close' }

/**
 * The FAIL answer for a refusal, with its documented status and ErrorCode.
 *
 * @example
 * ```ts
 * return answerRefusal(new Refusal('NOT_FOUND', 'No topic with TopicId "x"'))
 * ```
 */
export function answerRefusal(refusal: Refusal): Response {
  const { status, body } = refusalAnswer(refusal)
  // A body that is too large or too slow was not read to its end: close the connection rather than
  // leave the rest of it on a keep-alive socket.
  const unread = refusal.kind === 'BODY_TOO_LARGE' || refusal.kind === 'BODY_TIMEOUT'
  return new Response(body, { status, headers: unread ? CLOSING_HEADERS : JSON_HEADERS })
}

/** The FAIL answer in a Hono context, typed for the routes that declare it. */
export function failJson<S extends Refusal['status']>(c: Context, refusal: Refusal & { status: S }) {
  return c.json(
    { ActionStatus: 'FAIL' as const, ErrorCode: refusal.code, ErrorInfo: refusal.message },
    refusal.status as S,
  )
}

/**
 * The Response for a reply of the callback path.
 *
 * @example
 * ```ts
 * return replyResponse(await core.handle({ url, readBody }))
 * ```
 */
export function replyResponse(reply: CallbackReply): Response {
  return new Response(reply.body, { status: reply.status, headers: reply.close ? CLOSING_HEADERS : JSON_HEADERS })
}

import type { Answer } from '../contract/refusal.ts'

/** The headers of every answer in the contract's shape; the closing ones end the connection after it. */
export const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8' }
export const CLOSING_HEADERS = { ...JSON_HEADERS, connection: 'close' }

/**
 * An answer as a web Response (Hono, Deno.serve).
 *
 * @example
 * ```ts
 * return toResponse(refusalAnswer(new Refusal('NOT_FOUND', 'No topic with TopicId "x"')))
 * ```
 */
export function toResponse({ status, body, close }: Answer): Response {
  return new Response(body, { status, headers: close ? CLOSING_HEADERS : JSON_HEADERS })
}

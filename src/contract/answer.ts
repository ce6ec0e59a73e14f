import { z } from '@hono/zod-openapi'

/**
 * The answer to every request, success or refusal: the shape IM reads.
 *
 * @example
 * ```ts
 * CallbackAnswer.parse({ ActionStatus: 'OK', ErrorInfo: '', ErrorCode: 0 })
 * ```
 */
export const CallbackAnswer = z
  .object({
    ActionStatus: z.enum(['OK', 'FAIL']),
    ErrorCode: z.number().int(),
    ErrorInfo: z.string(),
  })
  .openapi('CallbackAnswer')

/** The answer IM expects on success. */
export type CallbackAnswer = z.infer<typeof CallbackAnswer>

/**
 * The one OK answer, serialised once: IM's documented success body.
 *
 * @example
 * ```ts
 * new Response(OK_ANSWER_JSON, { headers: { 'content-type': 'application/json' } })
 * ```
 */
export const OK_ANSWER_JSON = '{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}'

import { z } from '@hono/zod-openapi'
import { commandString, labelString } from './limits.ts'

/**
 * The query parameters IM appends to the callback URL. Only `SdkAppid` and `CallbackCommand` are always
 * sent; `Sign` and `RequestTime` come when callback authentication is on.
 *
 * @example
 * ```ts
 * CallbackQuery.parse({ SdkAppid: '1400000000', CallbackCommand: 'Group.CallbackAfterCreateTopic' })
 * ```
 */
export const CallbackQuery = z.object({
  SdkAppid: z.string(),
  CallbackCommand: commandString(),
  contenttype: z.string().optional(),
  ClientIP: labelString().optional(),
  OptPlatform: labelString().optional(),
  Sign: z.string().optional(),
  RequestTime: z.string().optional(),
})

/** The callback's query parameters, as IM sends them. */
export type CallbackQuery = z.infer<typeof CallbackQuery>

import { HTTPException } from 'hono/http-exception'
import { Refusal } from '../contract/refusal.ts'
import { describeError, type Logger } from '../log/index.ts'
import { StoreError } from '../store/index.ts'
import { DeadlineError } from './with-deadline.ts'

/** Where a request went, for the error log. */
export interface RequestPlace {
  requestId: string
  method: string
  path: string
}

/** What a database outage means for a callback: IM may send it again. */
const CALLBACK_NOT_STORED = 'The database is unavailable; nothing was stored. IM may retry.'

/** How {@link refusalFor} logs and words what it answers. */
interface RefusalOptions {
  log: Logger
  deadlineMs: number
  /** What a database outage means for this request: the callback's text unless given. */
  unavailable?: string
}

/**
 * The refusal to answer an error with, logged as it deserves: a refusal at debug level, a database
 * failure or a missed deadline at error level (someone must look), anything else as an internal error.
 * The app's error handler and the callback path share it, so that both answer and log alike.
 *
 * @example
 * ```ts
 * const refusal = refusalFor(error, { requestId, method: 'POST', path: '/callback' }, { log, deadlineMs: 1500 })
 * ```
 */
export function refusalFor(
  error: unknown,
  where: RequestPlace,
  { log, deadlineMs, unavailable = CALLBACK_NOT_STORED }: RefusalOptions,
): Refusal {
  if (error instanceof Refusal) {
    log.debug('refused', { ...where, status: error.status, errorCode: error.code, reason: error.message })
    return error
  }
  // Hono's validators throw these for a body they cannot read: 400 "Malformed JSON in request body",
  // 415 "Unsupported Media Type" for a body not declared JSON.
  if (error instanceof HTTPException && (error.status === 400 || error.status === 415)) {
    log.debug('refused', { ...where, status: error.status, reason: error.message })
    return new Refusal(
      'PARAMETER_INVALID',
      error.status === 400
        ? `The request body is not valid JSON: ${error.message}`
        : 'The request body must be JSON, sent with content-type: application/json',
    )
  }
  if (error instanceof StoreError) {
    log.error('store unavailable', { ...where, ...describeError(error) })
    return new Refusal('STORE_UNAVAILABLE', unavailable, { cause: error })
  }
  if (error instanceof DeadlineError) {
    log.error('deadline exceeded', { ...where, deadlineMs })
    return new Refusal(
      'DEADLINE_EXCEEDED',
      `The callback was not committed within ${deadlineMs} ms; it may be retried`,
      { cause: error },
    )
  }
  log.error('internal error', { ...where, ...describeError(error) })
  return new Refusal('INTERNAL', `Internal error; see the service log for request id ${where.requestId}`)
}

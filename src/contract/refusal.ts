import { type ErrorKind, errorCodes } from './error-codes.ts'

/**
 * A request the service refuses, with a message a person can act on. It is thrown or returned inside
 * the service and turned into an HTTP answer exactly once, at the edge, by {@link refusalAnswer}.
 *
 * @example
 * ```ts
 * throw new Refusal('REQUEST_TIME_OUT_OF_WINDOW', 'RequestTime is 61 s in the past; the window is 60 s')
 * ```
 */
export class Refusal extends Error {
  override readonly name = 'Refusal'
  readonly kind: ErrorKind

  constructor(kind: ErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.kind = kind
  }

  /** The documented ErrorCode, never 0. */
  get code(): number {
    return errorCodes[this.kind].code
  }

  /** The HTTP status the refusal is sent with. */
  get status(): (typeof errorCodes)[ErrorKind]['status'] {
    return errorCodes[this.kind].status
  }
}

/**
 * The FAIL answer for a refusal: `{ActionStatus: 'FAIL', ErrorCode, ErrorInfo}`, serialised.
 *
 * @example
 * ```ts
 * const { status, body } = refusalAnswer(new Refusal('NOT_FOUND', 'No route GET /x'))
 * ```
 */
export function refusalAnswer(refusal: Refusal): { status: Refusal['status']; body: string } {
  return {
    status: refusal.status,
    body: JSON.stringify({ ActionStatus: 'FAIL', ErrorCode: refusal.code, ErrorInfo: refusal.message }),
  }
}

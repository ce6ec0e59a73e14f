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
 * An answer as it goes on the wire, whatever the transport: status, JSON body, and whether to close the
 * connection after it.
 *
 * @example
 * ```ts
 * const answer: Answer = { status: 200, body: '{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}', close: false }
 * ```
 */
export interface Answer {
  status: number
  body: string
  /** The request's body was not read to its end (too large, too slow): the connection must not be reused. */
  close: boolean
}

/**
 * The FAIL answer for a refusal: `{ActionStatus: 'FAIL', ErrorCode, ErrorInfo}` with the refusal's
 * documented status; the one place a refusal becomes an answer, on every path.
 *
 * @example
 * ```ts
 * const { status, body, close } = refusalAnswer(new Refusal('NOT_FOUND', 'No route GET /x'))
 * ```
 */
export function refusalAnswer(refusal: Refusal): Answer & { status: Refusal['status'] } {
  return {
    status: refusal.status,
    body: JSON.stringify({ ActionStatus: 'FAIL', ErrorCode: refusal.code, ErrorInfo: refusal.message }),
    // A body that is too large or too slow was not read to its end: close the connection rather than
    // leave the rest of it on a keep-alive socket.
    close: refusal.kind === 'BODY_TOO_LARGE' || refusal.kind === 'BODY_TIMEOUT',
  }
}

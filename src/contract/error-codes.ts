/**
 * The service's own error codes: one per kind of failure, none of them 0, each with the HTTP status it
 * is sent with. The same table is in openapi.yaml (info.description) and in docs/callbacks.md.
 *
 * @example
 * ```ts
 * import { errorCodes } from './error-codes.ts'
 * errorCodes.SIGN_MISMATCH // { code: 4005, status: 401 }
 * ```
 */
export const errorCodes = {
  BODY_TOO_LARGE: { code: 4001, status: 413 },
  SDKAPPID_MISMATCH: { code: 4002, status: 403 },
  SIGN_MISSING: { code: 4003, status: 401 },
  SIGN_MALFORMED: { code: 4004, status: 401 },
  SIGN_MISMATCH: { code: 4005, status: 401 },
  REQUEST_TIME_INVALID: { code: 4006, status: 401 },
  REQUEST_TIME_OUT_OF_WINDOW: { code: 4007, status: 401 },
  BODY_NOT_JSON: { code: 4008, status: 400 },
  BODY_NOT_OBJECT: { code: 4009, status: 400 },
  COMMAND_MISSING: { code: 4010, status: 400 },
  COMMAND_MISMATCH: { code: 4011, status: 400 },
  BODY_INVALID: { code: 4012, status: 400 },
  API_TOKEN_INVALID: { code: 4013, status: 401 },
  NOT_FOUND: { code: 4014, status: 404 },
  PARAMETER_INVALID: { code: 4015, status: 400 },
  BODY_TOO_COMPLEX: { code: 4016, status: 400 },
  BODY_TIMEOUT: { code: 4017, status: 408 },
  HEADERS_TOO_LARGE: { code: 4018, status: 431 },
  REQUEST_MALFORMED: { code: 4019, status: 400 },
  SCOPE_MISSING: { code: 4020, status: 403 },
  URL_REFUSED: { code: 4021, status: 400 },
  INTERNAL: { code: 5000, status: 500 },
  STORE_UNAVAILABLE: { code: 5001, status: 503 },
  DEADLINE_EXCEEDED: { code: 5002, status: 503 },
  TOO_MANY_STREAMS: { code: 5003, status: 503 },
} as const satisfies Record<string, { code: number; status: 400 | 401 | 403 | 404 | 408 | 413 | 431 | 500 | 503 }>

/**
 * The name of one kind of failure, such as `'SIGN_MISMATCH'`.
 *
 * @example
 * ```ts
 * const kind: ErrorKind = refusal.kind
 * ```
 */
export type ErrorKind = keyof typeof errorCodes

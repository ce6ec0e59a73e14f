import { timingSafeEqual } from 'node:crypto'
import { Refusal } from '../contract/refusal.ts'
import { quote } from './quote.ts'
import { signatureDigest } from './sign.ts'

/**
 * What {@link verifyCallback} checks a request against.
 *
 * @example
 * ```ts
 * const options: VerifyCallbackOptions = { sdkAppId: '1400000000', tokens: ['secret'], windowSeconds: 60, nowMs: Date.now() }
 * ```
 */
export interface VerifyCallbackOptions {
  /** This app's SDKAppID (`IM_SDKAPPID`). */
  sdkAppId: string
  /** The tokens whose signature is accepted: the current one first, then the previous one. Empty: `Sign` is not checked. */
  tokens: readonly string[]
  /** How far `RequestTime` may be from the clock, in seconds, in either direction. */
  windowSeconds: number
  /** The server clock, in milliseconds since the epoch. */
  nowMs: number
}

/**
 * The query parameters that prove a callback came from IM.
 *
 * @example
 * ```ts
 * const credentials: CallbackCredentials = Object.fromEntries(new URL(request.url).searchParams)
 * ```
 */
export interface CallbackCredentials {
  SdkAppid?: string | null | undefined
  Sign?: string | null | undefined
  RequestTime?: string | null | undefined
}

const SIGN_FORMAT = /^[0-9a-f]{64}$/
const UNIX_SECONDS = /^\d{1,12}$/

// Every callback signed in the same second carries the same Sign: the expected digests for the last
// RequestTime seen are kept, for the same list of tokens.
let last: { tokens: readonly string[]; requestTime: string; digests: Buffer[] } | undefined

function expectedDigests(tokens: readonly string[], requestTime: string): Buffer[] {
  if (last?.tokens !== tokens || last.requestTime !== requestTime) {
    last = { tokens, requestTime, digests: tokens.map((token) => signatureDigest(token, requestTime)) }
  }
  return last.digests
}

/**
 * Proves that a callback came from Tencent Cloud IM, or throws a {@link Refusal} that says why not.
 * `SdkAppid` must be this app's. When tokens are given, `RequestTime` must be within the window of the
 * clock in both directions, and `Sign` must equal `sha256(token + RequestTime)` for one of the tokens,
 * compared in constant time.
 *
 * @example
 * ```ts
 * verifyCallback(
 *   { SdkAppid: '1400000000', RequestTime: '1669872112', Sign: '17773bc3…' },
 *   { sdkAppId: '1400000000', tokens: ['xxxxyyyy'], windowSeconds: 60, nowMs: Date.now() },
 * )
 * ```
 */
export function verifyCallback(credentials: CallbackCredentials, options: VerifyCallbackOptions): void {
  const { SdkAppid, Sign, RequestTime } = credentials
  if (SdkAppid == null || SdkAppid === '') {
    throw new Refusal('SDKAPPID_MISMATCH', "SdkAppid is missing from the query string; it must be this app's SDKAppID")
  }
  if (SdkAppid !== options.sdkAppId) {
    throw new Refusal('SDKAPPID_MISMATCH', `SdkAppid ${quote(SdkAppid)} is not this app's SDKAppID`)
  }
  if (options.tokens.length === 0) return

  if (RequestTime == null || RequestTime === '') {
    throw new Refusal(
      'REQUEST_TIME_INVALID',
      'RequestTime is missing from the query string; callback authentication is on',
    )
  }
  if (!UNIX_SECONDS.test(RequestTime)) {
    throw new Refusal('REQUEST_TIME_INVALID', `RequestTime ${quote(RequestTime)} is not a Unix time in seconds`)
  }
  const skew = Math.floor(options.nowMs / 1000) - Number(RequestTime)
  if (Math.abs(skew) > options.windowSeconds) {
    const where = skew > 0 ? 'in the past' : 'in the future'
    throw new Refusal(
      'REQUEST_TIME_OUT_OF_WINDOW',
      `RequestTime is ${Math.abs(skew)} s ${where}; the window is ${options.windowSeconds} s`,
    )
  }

  if (Sign == null || Sign === '') {
    throw new Refusal('SIGN_MISSING', 'Sign is missing from the query string; callback authentication is on')
  }
  if (!SIGN_FORMAT.test(Sign)) {
    throw new Refusal('SIGN_MALFORMED', 'Sign must be 64 lower-case hex characters (sha256 of token + RequestTime)')
  }
  const given = Buffer.from(Sign, 'hex')
  let matched = false
  // Every token is tried, so the time taken does not tell which one matched.
  for (const expected of expectedDigests(options.tokens, RequestTime)) {
    matched = timingSafeEqual(expected, given) || matched
  }
  if (!matched) {
    throw new Refusal('SIGN_MISMATCH', 'Sign does not match sha256(token + RequestTime) for the configured token')
  }
}

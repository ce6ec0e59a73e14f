import { createHash } from 'node:crypto'

/**
 * The `Sign` that Tencent Cloud IM sends when callback authentication is on: lower-case hex
 * `sha256(token + RequestTime)`, a plain SHA-256 (not an HMAC) of the token followed by the decimal
 * Unix time in seconds. Use it to sign callbacks in your own tests.
 *
 * @example
 * ```ts
 * sign('xxxxyyyy', 1669872112)
 * // '17773bc39a671d7b9aa835458704d2a6db81360a5940292b587d6d760d484061' (IM's worked example)
 * ```
 */
export function sign(token: string, requestTime: number | string): string {
  return signatureDigest(token, requestTime).toString('hex')
}

/**
 * The 32 bytes behind a `Sign`: `sha256(token + RequestTime)`, for comparing in constant time.
 *
 * @example
 * ```ts
 * timingSafeEqual(signatureDigest(token, requestTime), Buffer.from(presentedSign, 'hex'))
 * ```
 */
export function signatureDigest(token: string, requestTime: number | string): Buffer {
  return createHash('sha256')
    .update(token + String(requestTime))
    .digest()
}

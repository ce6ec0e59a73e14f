import { createHmac } from 'node:crypto'
import { deflateSync } from 'node:zlib'

/**
 * What a UserSig is made from.
 *
 * @example
 * ```ts
 * const input: UserSigInput = { sdkAppId: '1400000000', identifier: 'administrator', secretKey, nowSeconds: 1700000000, expireSeconds: 86400 }
 * ```
 */
export interface UserSigInput {
  sdkAppId: string
  /** The account the UserSig is for: for the REST API, the app admin. */
  identifier: string
  /** The app's secret key, from the IM console. */
  secretKey: string
  /** When it is made, in Unix seconds. */
  nowSeconds: number
  /** How long it is valid, in seconds. */
  expireSeconds: number
}

/**
 * Makes a UserSig (version 2) as Tencent's `tls-sig-api-v2` does: an HMAC-SHA256 with the secret key
 * over the identifier, SDKAppID, time and expiry, in a JSON document that is deflated and written in
 * Tencent's URL-safe base64 (`+` → `*`, `/` → `-`, `=` → `_`). A test checks it against the library.
 *
 * @example
 * ```ts
 * const usersig = makeUserSig({ sdkAppId, identifier: 'administrator', secretKey, nowSeconds: Math.floor(Date.now() / 1000), expireSeconds: 86400 })
 * ```
 */
export function makeUserSig({ sdkAppId, identifier, secretKey, nowSeconds, expireSeconds }: UserSigInput): string {
  const signed = `TLS.identifier:${identifier}\nTLS.sdkappid:${sdkAppId}\nTLS.time:${nowSeconds}\nTLS.expire:${expireSeconds}\n`
  const document = {
    'TLS.ver': '2.0',
    'TLS.identifier': identifier,
    'TLS.sdkappid': Number(sdkAppId),
    'TLS.time': nowSeconds,
    'TLS.expire': expireSeconds,
    'TLS.sig': createHmac('sha256', secretKey).update(signed).digest('base64'),
  }
  return deflateSync(Buffer.from(JSON.stringify(document)))
    .toString('base64')
    .replace(/\+/g, '*')
    .replace(/\//g, '-')
    .replace(/=/g, '_')
}

import { lookup } from 'node:dns/promises'
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http'
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https'
import { isIP } from 'node:net'
import { hostOf, nonPublicKind } from './address-policy.ts'

/** How much of an endpoint's answer is read: enough for an error message, never more. */
export const MAX_ANSWER_BYTES = 4096

/** What one delivery attempt came to. */
export interface PostOutcome {
  /** The endpoint's status; null when it gave none. */
  statusCode: number | null
  /** What went wrong, when something did (a non-2xx status included). */
  error: string | null
  durationMs: number
  /** The start of the endpoint's answer, at most {@link MAX_ANSWER_BYTES}. */
  answer: string
}

/** What {@link postDelivery} sends, and where. */
export interface PostRequest {
  url: string
  headers: Record<string, string>
  body: string
  timeoutMs: number
  /** Whether the endpoint may be on a loopback, private, link-local or unique-local address. */
  allowPrivate: boolean
  signal?: AbortSignal | undefined
}

/** Thrown when the endpoint's address is not on the public internet and that is not allowed. */
export class AddressRefused extends Error {
  override readonly name = 'AddressRefused'
}

/**
 * The address to connect to for `url`: its host looked up now, at connect time, and every address it
 * has checked, so that a name that resolves to a private address is refused however it was
 * registered (and a name that changes between the check and the connection cannot slip through).
 *
 * @example
 * ```ts
 * const address = await connectAddress(new URL('https://hooks.example.com/im'), false)
 * ```
 */
export async function connectAddress(url: URL, allowPrivate: boolean): Promise<string> {
  const host = hostOf(url)
  const addresses = isIP(host) ? [host] : (await lookup(host, { all: true, verbatim: true })).map((a) => a.address)
  if (addresses.length === 0) throw new Error(`${host} has no address`)
  if (!allowPrivate) {
    for (const address of addresses) {
      const kind = nonPublicKind(address)
      if (kind !== undefined) {
        throw new AddressRefused(
          `${host === address ? address : `${host} resolves to ${address}, which`} is ${kind}; set WEBHOOK_ALLOW_PRIVATE_URLS=true to allow it`,
        )
      }
    }
  }
  return addresses[0]!
}

const agents = {
  'http:': new HttpAgent({ keepAlive: true, maxFreeSockets: 64 }),
  'https:': new HttpsAgent({ keepAlive: true, maxFreeSockets: 64 }),
}

/**
 * Posts one delivery: to the address checked at connect time, without following redirects, within
 * `timeoutMs` for the whole exchange, reading at most {@link MAX_ANSWER_BYTES} of the answer. Never
 * throws: every failure is an outcome.
 *
 * @example
 * ```ts
 * const outcome = await postDelivery({ url, headers, body, timeoutMs: 10_000, allowPrivate: false })
 * ```
 */
export async function postDelivery({
  url,
  headers,
  body,
  timeoutMs,
  allowPrivate,
  signal,
}: PostRequest): Promise<PostOutcome> {
  const started = performance.now()
  const done = (statusCode: number | null, error: string | null, answer = ''): PostOutcome => ({
    statusCode,
    error,
    durationMs: Math.round(performance.now() - started),
    answer,
  })
  const target = new URL(url)
  let address: string
  try {
    address = await connectAddress(target, allowPrivate)
  } catch (error) {
    return done(
      null,
      error instanceof AddressRefused
        ? error.message
        : `cannot resolve ${target.hostname}: ${(error as Error).message}`,
    )
  }
  const https = target.protocol === 'https:'
  return new Promise<PostOutcome>((resolve) => {
    let settled = false
    const finish = (outcome: PostOutcome) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      signal?.removeEventListener('abort', onAbort)
      resolve(outcome)
    }
    const request = (https ? httpsRequest : httpRequest)(
      {
        host: address,
        port: target.port || (https ? 443 : 80),
        path: `${target.pathname}${target.search}`,
        method: 'POST',
        agent: agents[target.protocol as 'http:' | 'https:'],
        // The name the endpoint is known by, for its virtual hosts and its certificate.
        headers: { ...headers, host: target.host, 'content-length': String(Buffer.byteLength(body)) },
        ...(https && !isIP(hostOf(target)) ? { servername: hostOf(target) } : {}),
      },
      (response: IncomingMessage) => {
        const status = response.statusCode ?? 0
        const chunks: Buffer[] = []
        let size = 0
        const settle = () => {
          const answer = Buffer.concat(chunks).toString('utf8', 0, Math.min(size, MAX_ANSWER_BYTES))
          finish(done(status, status >= 200 && status < 300 ? null : `HTTP ${status}`, answer))
        }
        response.on('data', (chunk: Buffer) => {
          if (size < MAX_ANSWER_BYTES) chunks.push(chunk)
          size += chunk.length
          // Past the cap the rest is not read: the connection is dropped rather than drained.
          if (size >= MAX_ANSWER_BYTES) {
            settle()
            response.destroy()
          }
        })
        response.on('end', settle)
        response.on('error', settle)
      },
    )
    const onAbort = () => request.destroy(new Error('the delivery was stopped'))
    const timer = setTimeout(() => request.destroy(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs)
    signal?.addEventListener('abort', onAbort, { once: true })
    request.on('error', (error: Error & { code?: string }) =>
      finish(
        done(
          null,
          error.code && !error.message.includes(error.code) ? `${error.message} (${error.code})` : error.message,
        ),
      ),
    )
    request.end(body)
  })
}

/** The outcome label of an attempt, for the metrics. */
export function outcomeKind(outcome: PostOutcome): string {
  if (outcome.error === null) return 'delivered'
  if (outcome.statusCode !== null) return 'http_error'
  if (outcome.error.includes('WEBHOOK_ALLOW_PRIVATE_URLS')) return 'address_refused'
  return outcome.error.startsWith('no answer within') ? 'timeout' : 'connection_error'
}

/** The error an attempt leaves on its subscription: the status and the start of the answer. */
export function errorText(outcome: PostOutcome): string | null {
  if (outcome.error === null) return null
  const answer = outcome.answer.replace(/\s+/g, ' ').trim().slice(0, 200)
  return answer === '' ? outcome.error : `${outcome.error}: ${answer}`
}

import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http'
import type { CallbackCore } from '../callbacks/callback-core.ts'
import type { Answer } from '../contract/refusal.ts'
import { CLOSING_HEADERS, JSON_HEADERS } from './answers.ts'
import { bodyCutShort, bodyTooLarge } from './read-body.ts'

/**
 * Whether a request target is `/callback`, with or without a query. Anything else (another path, an
 * absolute-form target, a percent-encoded path) goes to the app, whose route runs the same core.
 */
export function isCallbackTarget(target: string | undefined): boolean {
  if (target === undefined || !target.startsWith('/callback')) return false
  return target.length === 9 || target.charCodeAt(9) === 0x3f
}

/**
 * A `node:http` request listener that answers `POST /callback` with the callback core straight from
 * Node's request and response, without building a web Request, a Hono context or a router match
 * (the service's hot path), and hands every other request to `fallback` (the app, through
 * @hono/node-server). Both run the same core, with the same checks, limits and answers.
 *
 * @example
 * ```ts
 * serve({ fetch: app.fetch, createServer: (options, listener) => createServer(options, answerCallbacksOnNode(callbacks, listener)) })
 * ```
 */
export function answerCallbacksOnNode(callbacks: CallbackCore, fallback: RequestListener): RequestListener {
  return (req, res) => {
    if (req.method !== 'POST' || !isCallbackTarget(req.url)) return fallback(req, res)
    void callbacks
      .handle({ url: req.url!, readBody: (maxBytes) => readIncoming(req, maxBytes) })
      .then((reply) => send(res, reply))
  }
}

/** Sends a reply with the headers @hono/node-server would send for the same Response. */
function send(res: ServerResponse, { status, body, close }: Answer): void {
  res.writeHead(status, { ...(close ? CLOSING_HEADERS : JSON_HEADERS), 'content-length': Buffer.byteLength(body) })
  res.end(body)
}

/**
 * Reads a request body whole, as the app's `readBody` does from a web Request: a declared length
 * past `maxBytes` is refused before anything is read, a body that grows past it is refused as soon as
 * it does, and a client that goes away before the end is a `REQUEST_MALFORMED` refusal.
 */
export function readIncoming(req: IncomingMessage, maxBytes: number): Promise<Uint8Array> {
  const tooLarge = () => bodyTooLarge(maxBytes)
  const declared = req.headers['content-length']
  if (declared !== undefined && Number(declared) > maxBytes) return Promise.reject(tooLarge())
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    const done = () => {
      req.off('data', onData)
      req.off('end', onEnd)
      req.off('error', onGone)
      req.off('close', onClose)
    }
    const onData = (chunk: Buffer) => {
      size += chunk.byteLength
      if (size > maxBytes) {
        done()
        reject(tooLarge())
        return
      }
      chunks.push(chunk)
    }
    const onEnd = () => {
      done()
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size))
    }
    const onGone = (cause?: unknown) => {
      done()
      reject(bodyCutShort(cause))
    }
    const onClose = () => {
      if (!req.complete) onGone()
    }
    req.on('data', onData)
    req.once('end', onEnd)
    req.once('error', onGone)
    req.once('close', onClose)
  })
}

import { Refusal } from '../contract/refusal.ts'
import { readCapped } from './read-capped.ts'

/** The refusal of a body past the cap; every way of reading a body refuses with this one. */
export const bodyTooLarge = (maxBytes: number) =>
  new Refusal('BODY_TOO_LARGE', `The request body is larger than ${maxBytes} bytes`)

/**
 * The refusal of a body the client stopped sending (it closed the connection): its fault, not the
 * service's, so a refusal (logged at debug, counted as such), never an internal error that would page
 * someone.
 */
export const bodyCutShort = (cause?: unknown) =>
  new Refusal('REQUEST_MALFORMED', 'The request body ended before it was whole: the client closed the connection', {
    cause,
  })

/**
 * Reads a request body once, raw, refusing it as soon as it passes `maxBytes`: a declared
 * Content-Length over the cap is refused before a byte is read, and a chunked body is cut off the
 * moment it grows past it, so that an oversized body is never buffered whole.
 *
 * @example
 * ```ts
 * const raw = await readBody(c.req.raw, 256 * 1024) // throws Refusal('BODY_TOO_LARGE', …)
 * ```
 */
export async function readBody(request: Request, maxBytes: number): Promise<Uint8Array> {
  try {
    return await readWhole(request, maxBytes)
  } catch (error) {
    if (error instanceof Refusal) throw error
    // Reading the body fails only when the client closed the connection before sending all of it.
    throw bodyCutShort(error)
  }
}

async function readWhole(request: Request, maxBytes: number): Promise<Uint8Array> {
  const tooLarge = () => bodyTooLarge(maxBytes)
  const declared = request.headers.get('content-length')
  if (declared !== null && Number(declared) > maxBytes) throw tooLarge()
  // With a declared length within the cap, the runtime reads exactly that many bytes: take the fast
  // path (on Node, @hono/node-server reads straight from the socket, with no web stream).
  if (declared !== null && /^\d+$/.test(declared)) return new Uint8Array(await request.arrayBuffer())
  return readCapped(request.body, maxBytes, tooLarge)
}

import { Refusal, refusalAnswer } from '../contract/refusal.ts'

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  408: 'Request Timeout',
  431: 'Request Header Fields Too Large',
}

/**
 * The whole HTTP answer, head and `CallbackAnswer` body, to a request that Node's HTTP parser refused
 * before any route saw it (node:http's `clientError`): 431 for headers past `maxHeaderBytes`, 408 for
 * a request that did not arrive in time, 400 for anything that is not HTTP/1.1. Node's own answers to
 * these have an empty body; the contract promises every answer the `CallbackAnswer` shape. Null when
 * nothing should be written (the client is gone).
 *
 * @example
 * ```ts
 * server.on('clientError', (error, socket) => {
 *   const answer = clientErrorAnswer(error, 16384)
 *   if (answer && socket.writable) socket.end(answer)
 *   else socket.destroy()
 * })
 * ```
 */
export function clientErrorAnswer(error: { code?: string | undefined }, maxHeaderBytes: number): string | null {
  if (error.code === 'ECONNRESET' || error.code === 'EPIPE') return null
  const refusal =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? new Refusal('HEADERS_TOO_LARGE', `The request's headers are larger than ${maxHeaderBytes} bytes`)
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? new Refusal('BODY_TIMEOUT', 'The request did not arrive in time; the connection is closed')
        : new Refusal('REQUEST_MALFORMED', `The request is not valid HTTP/1.1 (${error.code ?? 'parse error'})`)
  const { status, body } = refusalAnswer(refusal)
  return (
    `HTTP/1.1 ${status} ${REASONS[status] ?? ''}\r\n` +
    'Content-Type: application/json; charset=utf-8\r\n' +
    `Content-Length: ${Buffer.byteLength(body)}\r\n` +
    'Connection: close\r\n\r\n' +
    body
  )
}

/**
 * An answer's body larger than the cap: reading stopped there.
 *
 * @example
 * ```ts
 * await readCapped(res, 1024).catch((e) => e instanceof AnswerTooLarge)
 * ```
 */
export class AnswerTooLarge extends Error {
  override readonly name = 'AnswerTooLarge'
}

/**
 * Reads a response body whole, but never more than `maxBytes` of it: an endless or oversized answer
 * is cut off as soon as it passes the cap, so it costs at most that much memory. The fetch's own
 * signal still bounds the time: a body that trickles is aborted with it.
 *
 * @example
 * ```ts
 * const text = new TextDecoder().decode(await readCapped(res, 16 * 1024 * 1024))
 * ```
 */
export async function readCapped(res: Response, maxBytes: number): Promise<Uint8Array> {
  const declared = Number(res.headers.get('content-length') ?? Number.NaN)
  if (declared > maxBytes) {
    await res.body?.cancel()
    throw new AnswerTooLarge(`its answer declares ${declared} bytes, over the cap of ${maxBytes}`)
  }
  if (res.body === null) return new Uint8Array(0)
  const reader = res.body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > maxBytes) {
      await reader.cancel()
      throw new AnswerTooLarge(`its answer passed the cap of ${maxBytes} bytes`)
    }
    chunks.push(value)
  }
  const whole = new Uint8Array(size)
  let at = 0
  for (const chunk of chunks) {
    whole.set(chunk, at)
    at += chunk.byteLength
  }
  return whole
}

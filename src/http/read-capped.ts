/**
 * Reads a body stream whole, but never more than `maxBytes` of it: past the cap it stops reading,
 * cancels the stream and throws what `tooLarge` makes, so an oversized or endless body costs at most
 * the cap in memory. Both ways in use it: a callback's request body, and an answer of IM's REST API.
 *
 * @example
 * ```ts
 * const bytes = await readCapped(request.body, 256 * 1024, () => new Error('too large'))
 * ```
 */
export async function readCapped(
  body: ReadableStream<Uint8Array> | null,
  maxBytes: number,
  tooLarge: () => Error,
): Promise<Uint8Array> {
  if (body === null) return new Uint8Array(0)
  const reader = body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > maxBytes) {
      await reader.cancel().catch(() => {})
      throw tooLarge()
    }
    chunks.push(value)
  }
  if (chunks.length === 1) return chunks[0]!
  const whole = new Uint8Array(size)
  let offset = 0
  for (const chunk of chunks) {
    whole.set(chunk, offset)
    offset += chunk.byteLength
  }
  return whole
}

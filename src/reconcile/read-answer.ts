import { readCapped } from '../http/read-capped.ts'

/**
 * An answer's body larger than the cap: reading stopped there.
 *
 * @example
 * ```ts
 * await readAnswer(res, 1024).catch((e) => e instanceof AnswerTooLarge)
 * ```
 */
export class AnswerTooLarge extends Error {
  override readonly name = 'AnswerTooLarge'
}

/**
 * Reads an answer of IM's whole, but never more than `maxBytes` of it: an endless or oversized answer
 * is cut off as soon as it passes the cap. The fetch's own signal still bounds the time: a body that
 * trickles is aborted with it.
 *
 * @example
 * ```ts
 * const text = new TextDecoder().decode(await readAnswer(res, 16 * 1024 * 1024))
 * ```
 */
export async function readAnswer(res: Response, maxBytes: number): Promise<Uint8Array> {
  const declared = Number(res.headers.get('content-length') ?? Number.NaN)
  if (declared > maxBytes) {
    await res.body?.cancel()
    throw new AnswerTooLarge(`its answer declares ${declared} bytes, over the cap of ${maxBytes}`)
  }
  return readCapped(res.body, maxBytes, () => new AnswerTooLarge(`its answer passed the cap of ${maxBytes} bytes`))
}

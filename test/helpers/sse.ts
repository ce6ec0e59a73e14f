/** One Server-Sent Event as the tests see it; `comments` holds the comment lines before it. */
export interface SseEvent {
  id: string | undefined
  event: string
  data: string
  comments: string[]
}

/**
 * Reads a Server-Sent Events body as the tests need it: events end at a blank line, `:` lines are
 * comments (kept, so that heartbeats can be seen), `retry` is read and dropped. The service writes LF
 * line ends only; the client library's own parser, tested apart, takes CR and CRLF too.
 */
export async function* readSse(body: ReadableStream<Uint8Array>): AsyncGenerator<SseEvent> {
  const decoder = new TextDecoder()
  let buffer = ''
  let comments: string[] = []
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true })
    let end: number
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end)
      buffer = buffer.slice(end + 2)
      const event: SseEvent = { id: undefined, event: 'message', data: '', comments: [] }
      const data: string[] = []
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) comments.push(line.slice(1).trim())
        else if (line.startsWith('id: ')) event.id = line.slice(4)
        else if (line.startsWith('event: ')) event.event = line.slice(7)
        else if (line.startsWith('data: ')) data.push(line.slice(6))
      }
      if (data.length === 0) continue
      event.data = data.join('\n')
      event.comments = comments
      comments = []
      yield event
    }
  }
}

/** Reads a body until a comment line containing `text` arrives; resolves with everything read. */
export async function readUntilComment(
  body: ReadableStream<Uint8Array>,
  text: string,
  timeoutMs = 5000,
): Promise<string> {
  const reader = body.getReader()
  const decoder = new TextDecoder()
  let seen = ''
  const deadline = Date.now() + timeoutMs
  try {
    while (!seen.split('\n').some((line) => line.startsWith(':') && line.includes(text))) {
      const left = deadline - Date.now()
      if (left <= 0)
        throw new Error(
          `no comment with ${JSON.stringify(text)} within ${timeoutMs} ms; read: ${JSON.stringify(seen.slice(-500))}`,
        )
      const next = await Promise.race([
        reader.read(),
        new Promise<never>((_, reject) =>
          setTimeout(
            () =>
              reject(
                new Error(
                  `no comment with ${JSON.stringify(text)} within ${timeoutMs} ms; read: ${JSON.stringify(seen.slice(-500))}`,
                ),
              ),
            left,
          ),
        ),
      ])
      if (next.done)
        throw new Error(
          `the stream ended before a comment with ${JSON.stringify(text)}; read: ${JSON.stringify(seen.slice(-500))}`,
        )
      seen += decoder.decode(next.value, { stream: true })
    }
    return seen
  } finally {
    reader.releaseLock()
  }
}

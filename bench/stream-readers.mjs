// Holds N change streams open against a service and reads them to the end, in a process of its own so
// that their reading does not slow the load generator that measures the callbacks. Prints "ready" once
// every stream is open (or "refused <status>"), and "caught up <ms>" when every stream has read
// `until` changes. Ends on SIGTERM. Loopback only.
//   node bench/stream-readers.mjs URL API_TOKEN COUNT AFTER [UNTIL]    (AFTER: a position, or "now")
const [url, token, count, from, until] = process.argv.slice(2)
const auth = { authorization: `Bearer ${token}` }

/** The last position of the feed, paged to from 0. */
async function head() {
  let cursor = '0'
  for (;;) {
    const page = await fetch(`${url}/changes?after=${cursor}&limit=500`, { headers: auth }).then((r) => r.json())
    cursor = page.nextCursor
    if (!page.hasMore) return cursor
  }
}
const after = from === 'now' ? await head() : from
const wanted = until ? Number(until) : Number.POSITIVE_INFINITY
const started = performance.now()
let caughtUp = 0

async function follow() {
  const res = await fetch(`${url}/changes/stream?after=${after}`, { headers: auth })
  if (res.status !== 200) {
    console.log(`refused ${res.status}`)
    process.exit(1)
  }
  // An object, not the promise itself: an async function would wait for it.
  const reading = (async () => {
    const decoder = new TextDecoder()
    let seen = 0
    let tail = ''
    let done = false
    for await (const chunk of res.body) {
      if (done) continue
      const text = tail + decoder.decode(chunk, { stream: true })
      seen += text.split('event: change\n').length - 1
      tail = text.slice(-20)
      if (tail.includes('event: change\n')) tail = ''
      if (seen >= wanted) {
        done = true
        if (++caughtUp === Number(count)) console.log(`caught up ${Math.round(performance.now() - started)}`)
      }
    }
  })()
  return { reading }
}

const streams = await Promise.all(Array.from({ length: Number(count) }, follow))
console.log('ready')
process.on('SIGTERM', () => process.exit(0))
await Promise.allSettled(streams.map((s) => s.reading))

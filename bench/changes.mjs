// npm run bench:changes: how long a change takes from its callback's OK to an open GET /changes/stream,
// on the embedded SQLite file (one instance) and on PostgreSQL with two replicas (callbacks to A, the
// stream open on B, so every change crosses replicas by NOTIFY). Callbacks go at a steady rate, each
// a new topic; the clock for the OK and for the event is this process's, so the two are comparable.
// Prints p50, p99 and max. Not part of npm test: it measures, it does not assert. Loopback only.
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { API_TOKEN, signedCallbackPath, startQuietService, withPostgresDatabase } from './service.mjs'

const RATE = Number(process.env.BENCH_CHANGES_RATE ?? 200)
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10)

/** Opens a stream and records when each topic's change arrives. */
async function openStream(url, arrivals) {
  const controller = new AbortController()
  const res = await fetch(`${url}/changes/stream`, {
    headers: { authorization: `Bearer ${API_TOKEN}` },
    signal: controller.signal,
  })
  if (res.status !== 200) throw new Error(`GET /changes/stream answered ${res.status}`)
  const reading = (async () => {
    const decoder = new TextDecoder()
    let buffer = ''
    try {
      for await (const chunk of res.body) {
        const now = performance.now()
        buffer += decoder.decode(chunk, { stream: true })
        let end
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end)
          buffer = buffer.slice(end + 2)
          const data = block.split('\n').find((l) => l.startsWith('data: '))
          if (data) arrivals.set(JSON.parse(data.slice(6)).topic.TopicId, now)
        }
      }
    } catch (error) {
      if (!controller.signal.aborted) throw error
    }
  })()
  return { close: () => (controller.abort(), reading) }
}

/** Sends RATE callbacks a second for SECONDS to `url`, and records when each was answered OK. */
async function send(url, oks) {
  const path = signedCallbackPath()
  const run = randomBytes(4).toString('hex')
  const total = RATE * SECONDS
  const started = performance.now()
  const inFlight = []
  let failures = 0
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / RATE
    const wait = due - performance.now()
    if (wait > 1) await new Promise((r) => setTimeout(r, wait))
    const topicId = `@TGS#_@TGS#bench@TOPIC#_${run}-${i}`
    const body = `{"CallbackCommand":"Group.CallbackAfterCreateTopic","GroupId":"@TGS#bench","TopicId":"${topicId}","Operator_Account":"group_root","Owner_Account":"leckie","Type":"Community","Name":"bench"}`
    inFlight.push(
      fetch(url + path, { method: 'POST', body }).then(async (res) => {
        await res.arrayBuffer()
        if (res.status === 200) oks.set(topicId, performance.now())
        else failures++
      }),
    )
  }
  await Promise.all(inFlight)
  return { total, failures }
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]
}

async function measure(name, sendTo, streamFrom) {
  const arrivals = new Map()
  const oks = new Map()
  const stream = await openStream(streamFrom, arrivals)
  await new Promise((r) => setTimeout(r, 500))
  const { total, failures } = await send(sendTo, oks)
  // Give the last changes a moment to arrive.
  for (let i = 0; i < 50 && arrivals.size < oks.size; i++) await new Promise((r) => setTimeout(r, 100))
  await stream.close()
  const delays = [...oks].map(([id, ok]) => (arrivals.has(id) ? arrivals.get(id) - ok : Infinity)).sort((a, b) => a - b)
  const missing = delays.filter((d) => d === Infinity).length
  // The stream can deliver a change before the HTTP answer to its callback is read: a negative delay
  // counts as 0 (the change was there when OK was).
  const ms = (d) => Math.max(0, d).toFixed(2)
  return {
    name,
    callbacks: total,
    failed: failures,
    missing,
    p50: ms(percentile(delays, 50)),
    p99: ms(percentile(delays, 99)),
    max: ms(delays[delays.length - 1]),
  }
}

const results = []
const scratch = mkdtempSync(join(tmpdir(), 'imsync-bench-changes-'))
try {
  const lite = await startQuietService({ DATABASE_URL: `file:${join(scratch, 'bench.db')}` })
  try {
    results.push(await measure('SQLite, one instance', lite.url, lite.url))
  } finally {
    await lite.stop()
  }

  await withPostgresDatabase(async (databaseUrl) => {
    const a = await startQuietService({ DATABASE_URL: databaseUrl })
    const b = await startQuietService({ DATABASE_URL: databaseUrl })
    try {
      results.push(await measure('PostgreSQL, two replicas (OK from A, stream on B)', a.url, b.url))
    } finally {
      await Promise.all([a.stop(), b.stop()])
    }
  })
} finally {
  rmSync(scratch, { recursive: true, force: true })
}

console.log(
  `\nDelay from a callback's OK to its change on an open GET /changes/stream (${RATE} callbacks/s for ${SECONDS} s, node ${process.versions.node})\n`,
)
console.log('| setup | callbacks | failed | missing | p50 ms | p99 ms | max ms |')
console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: |')
for (const r of results)
  console.log(`| ${r.name} | ${r.callbacks} | ${r.failed} | ${r.missing} | ${r.p50} | ${r.p99} | ${r.max} |`)

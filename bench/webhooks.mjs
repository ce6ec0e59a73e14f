// npm run bench:webhooks: how long a change takes from its callback's OK to its delivery at a local
// webhook receiver, with 1 and with 20 subscriptions, on the embedded SQLite file and on PostgreSQL
// with two replicas (callbacks to both); then the same 20 beside one subscription whose endpoint
// answers after 9 s, to see that it holds up neither the callbacks nor the others. Callbacks go at a
// steady rate (BENCH_WEBHOOKS_RATE, 50 a second: 1,000 deliveries a second with 20 subscriptions),
// each a new topic; the clock for the OK and for the arrival is this process's. Prints p50 and p99 of
// the delay (over every delivery of every subscription) and of the callbacks' own answer time. Not
// part of npm test: it measures, it does not assert. Loopback only.
import { fork } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { API_TOKEN, signedCallbackPath, startQuietService, withPostgresDatabase } from './service.mjs'

const ROOT = fileURLToPath(new URL('../', import.meta.url))
const RATE = Number(process.env.BENCH_WEBHOOKS_RATE ?? 50)
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10)

/** Starts receivers in a process of their own (bench/webhook-receivers.mjs), one per delay. */
async function receivers(delays) {
  const child = fork(join(ROOT, 'bench/webhook-receivers.mjs'), { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] })
  const next = () => new Promise((resolve) => child.once('message', resolve))
  child.send({ delays })
  const { urls } = await next()
  return {
    urls,
    /** When each topic first arrived at each receiver; stops the process. */
    report: async () => (child.send({ report: true }), (await next()).arrivals.map((a) => new Map(Object.entries(a)))),
  }
}

async function subscribe(serviceUrl, url) {
  const res = await fetch(`${serviceUrl}/subscriptions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${API_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ url }),
  })
  if (res.status !== 201) throw new Error(`POST /subscriptions answered ${res.status}: ${await res.text()}`)
}

/** Sends RATE callbacks a second for SECONDS, round-robin over `urls`; records each OK and its latency. */
async function send(urls, oks, latencies) {
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
    const sentAt = clock()
    inFlight.push(
      fetch(urls[i % urls.length] + path, { method: 'POST', body }).then(async (res) => {
        await res.arrayBuffer()
        const now = clock()
        latencies.push(now - sentAt)
        if (res.status === 200) oks.set(topicId, now)
        else failures++
      }),
    )
  }
  await Promise.all(inFlight)
  return { total, failures }
}

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]
const clock = () => performance.timeOrigin + performance.now()
const ms = (d) => (d === undefined ? '–' : d === Infinity ? '∞' : Math.max(0, d).toFixed(1))

/** One run: `count` subscriptions (plus one slow one when `slow`), callbacks to `sendTo`. */
async function measure(name, services, count, { slow = false } = {}) {
  const started = await receivers([...Array(count).fill(0), ...(slow ? [9000] : [])])
  for (const url of started.urls) await subscribe(services[0].url, url)
  // The delivering replica takes up its workers within a tick.
  await new Promise((r) => setTimeout(r, 1500))
  const oks = new Map()
  const latencies = []
  const { total, failures } = await send(
    services.map((s) => s.url),
    oks,
    latencies,
  )
  // Every delivery to the fast receivers, or 30 s: then the receivers report.
  await new Promise((r) => setTimeout(r, 2000))
  const arrivals = (await started.report()).slice(0, count)
  const delays = []
  for (const got of arrivals) for (const [id, ok] of oks) delays.push(got.has(id) ? got.get(id) - ok : Infinity)
  delays.sort((a, b) => a - b)
  latencies.sort((a, b) => a - b)
  // Each run leaves its subscriptions behind: delete them, so that the next run measures its own.
  const list = await fetch(`${services[0].url}/subscriptions`, { headers: { authorization: `Bearer ${API_TOKEN}` } })
  for (const s of (await list.json()).items)
    await fetch(`${services[0].url}/subscriptions/${s.id}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${API_TOKEN}` },
    })
  return {
    name,
    subscriptions: count + (slow ? 1 : 0),
    callbacks: total,
    failed: failures,
    missing: delays.filter((d) => d === Infinity).length,
    p50: ms(percentile(delays, 50)),
    p99: ms(percentile(delays, 99)),
    okP99: ms(percentile(latencies, 99)),
  }
}

const results = []
const scratch = mkdtempSync(join(tmpdir(), 'imsync-bench-webhooks-'))
try {
  const lite = await startQuietService({
    WEBHOOK_ALLOW_PRIVATE_URLS: 'true',
    DATABASE_URL: `file:${join(scratch, 'bench.db')}`,
  })
  try {
    results.push(await measure('SQLite, no subscription (the callbacks alone)', [lite], 0))
    results.push(await measure('SQLite', [lite], 1))
    results.push(await measure('SQLite', [lite], 20))
    results.push(await measure('SQLite, and one endpoint that answers after 9 s', [lite], 20, { slow: true }))
  } finally {
    await lite.stop()
  }

  await withPostgresDatabase(async (databaseUrl) => {
    const a = await startQuietService({ WEBHOOK_ALLOW_PRIVATE_URLS: 'true', DATABASE_URL: databaseUrl })
    const b = await startQuietService({ WEBHOOK_ALLOW_PRIVATE_URLS: 'true', DATABASE_URL: databaseUrl })
    try {
      results.push(await measure('PostgreSQL, two replicas, no subscription', [a, b], 0))
      results.push(await measure('PostgreSQL, two replicas', [a, b], 1))
      results.push(await measure('PostgreSQL, two replicas', [a, b], 20))
      results.push(await measure('PostgreSQL, two replicas, and one 9 s endpoint', [a, b], 20, { slow: true }))
    } finally {
      await Promise.all([a.stop(), b.stop()])
    }
  })
} finally {
  rmSync(scratch, { recursive: true, force: true })
}

console.log(
  `\nDelay from a callback's OK to its delivery at a local receiver, over every delivery to the fast endpoints (${RATE} callbacks/s for ${SECONDS} s, node ${process.versions.node})\n`,
)
console.log(
  '| setup | subscriptions | callbacks | failed | missing | delay p50 ms | delay p99 ms | callback answer p99 ms |',
)
console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |')
for (const r of results)
  console.log(
    `| ${r.name} | ${r.subscriptions} | ${r.callbacks} | ${r.failed} | ${r.missing} | ${r.p50} | ${r.p99} | ${r.okP99} |`,
  )

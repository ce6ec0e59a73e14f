// npm run bench:streams: what open change streams cost IM's callbacks. On Node and on Deno, on the
// embedded SQLite file: callbacks at a fixed rate (200 a second, each a new topic, latency measured
// from when each was due) while 0, 100 and 250 live followers hold streams open (each receives every
// new change), and while 10 followers catch up on 40,000 changes from position 0. The followers run in
// a process of their own. Prints p50, p99 and max. It measures; it does not assert. Loopback only.
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { fixedRate } from './fixed-rate.mjs'
import { API_TOKEN, serviceEnv, signedCallbackPath } from './service.mjs'
import { freePort, spawnServer } from './spawn-server.mjs'

const ROOT = fileURLToPath(new URL('../', import.meta.url))
const DENO = join(ROOT, 'node_modules/.bin/deno')
const RATE = Number(process.env.BENCH_STREAMS_RATE ?? 200)
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10)
const BACKLOG = 40_000
const RUNTIMES = {
  node: [process.execPath, [join(ROOT, 'dist/src/node.js')]],
  deno: [DENO, ['run', `--config=${join(ROOT, 'deno.json')}`, '-A', join(ROOT, 'src/deno.ts')]],
}

async function start(runtime, databaseUrl, logFile) {
  const port = await freePort()
  const [bin, args] = RUNTIMES[runtime]
  const env = serviceEnv(port, {
    DATABASE_URL: databaseUrl,
    MAX_CHANGE_STREAMS: '300',
    // Every follower connects from 127.0.0.1 here.
    MAX_CONNECTIONS_PER_ADDRESS: '1000',
    // spawnServer waits for the "listening" line; the log goes to a file.
    LOG_LEVEL: 'info',
  })
  const child = await spawnServer(bin, args, { cwd: ROOT, env, logFile })
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    stop: () => new Promise((resolve) => (child.once('exit', resolve), child.kill('SIGTERM'))),
  }
}

/** Opens `count` streams in a process of its own; resolves once they are all open. */
function readers(url, count, after, until) {
  const child = spawn(
    process.execPath,
    [join(ROOT, 'bench/stream-readers.mjs'), url, API_TOKEN, count, after, until ?? ''],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  )
  let caughtUpMs
  const ready = new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the stream readers exited with ${code}`)))
    child.stdout.setEncoding('utf8').on('data', (text) => {
      if (text.includes('refused')) reject(new Error(text.trim()))
      if (text.includes('ready')) resolve()
      const caught = /caught up (\d+)/.exec(text)
      if (caught) caughtUpMs = Number(caught[1])
    })
  })
  return {
    ready,
    caughtUpMs: () => caughtUpMs,
    stop: () => new Promise((resolve) => (child.once('exit', resolve), child.kill('SIGTERM'))),
  }
}

function callbacks(run) {
  const path = signedCallbackPath()
  const body = (i) =>
    `{"CallbackCommand":"Group.CallbackAfterCreateTopic","GroupId":"@TGS#bench","TopicId":"@TGS#_@TGS#bench@TOPIC#_${run}-${i}","Operator_Account":"group_root","Owner_Account":"leckie","Type":"Community","Name":"bench"}`
  return { path, body }
}

async function measure(service, name, streams) {
  const open = streams.count > 0 ? readers(service.url, streams.count, streams.after, streams.until) : undefined
  await open?.ready
  const { path, body } = callbacks(`${name.replace(/\W+/g, '-')}-${Date.now()}`)
  const r = await fixedRate({ port: service.port, rate: RATE, seconds: SECONDS, path, body })
  const caughtUp = open?.caughtUpMs()
  await open?.stop()
  const f = (n) => n.toFixed(1)
  return {
    setup: name,
    callbacks: Math.round(r.rps * SECONDS),
    failed: r.errors + r.non2xx,
    p50: f(r.p50),
    p99: f(r.p99),
    max: f(r.max),
    ...(caughtUp === undefined ? {} : { 'caught up in': `${(caughtUp / 1000).toFixed(1)} s` }),
  }
}

/** Fills the feed with BACKLOG topics through the service itself, as fast as it takes them. */
async function fillBacklog(service) {
  const { path, body } = callbacks(`backlog-${Date.now()}`)
  await fixedRate({ port: service.port, rate: 4000, seconds: BACKLOG / 4000, path, body })
}

const results = []
const scratch = mkdtempSync(join(tmpdir(), 'imsync-bench-streams-'))
try {
  for (const runtime of Object.keys(RUNTIMES)) {
    const service = await start(runtime, `file:${join(scratch, `${runtime}.db`)}`, join(scratch, `${runtime}.log`))
    try {
      for (const count of [0, 100, 250]) {
        results.push({ runtime, ...(await measure(service, `${count} live streams`, { count, after: 'now' })) })
      }
      await fillBacklog(service)
      results.push({
        runtime,
        ...(await measure(service, `10 streams catching up ${BACKLOG.toLocaleString('en')}+ changes`, {
          count: 10,
          after: 0,
          until: BACKLOG,
        })),
      })
    } finally {
      await service.stop()
    }
  }
} finally {
  rmSync(scratch, { recursive: true, force: true })
}
console.log(`\nCallbacks at ${RATE}/s for ${SECONDS} s each, latency from when each was due (ms):\n`)
console.table(results)

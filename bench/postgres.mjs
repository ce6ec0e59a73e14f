// npm run bench:postgres: the service on PostgreSQL, one replica driven directly, then one and two
// replicas behind a round-robin balancer on loopback (bench/round-robin.mjs), each replica on Node
// with the memory setting of `npm start` and its log in a file, driven with signed
// Group.CallbackAfterCreateTopic callbacks, each a new topic. For each: callbacks/s (autocannon, BENCH_CONNECTIONS connections, BENCH_ROUNDS rounds of
// BENCH_SECONDS), CPU per callback of the replicas, of PostgreSQL's processes and of the balancer,
// callbacks per commit, the change counter's lock (wait and hold per commit, from the replicas'
// /metrics), p50/p99 at a fixed rate (bench/fixed-rate.mjs), and whether every acknowledged topic
// is stored. Then the anchor: pgbench running the same transaction (the same rows, statements and
// commit) at the measured batch size, with one client per replica.
// Each setup runs on a database of its own on the PostgreSQL server of TEST_DATABASE_URL, dropped
// after. Not part of npm test: it measures, it does not assert. Traffic goes to 127.0.0.1 only.
import { execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { NUMBER_PENDING_ON_POSTGRES } from '../dist/src/store/change-positions.js'
import { driveCallbacks } from './drive.mjs'
import { fixedRate } from './fixed-rate.mjs'
import { processCpuMs } from './proc.mjs'
import { API_TOKEN, NODE_MEMORY, signedCallbackPath, startQuietService, withPostgresDatabase } from './service.mjs'
import { freePort, spawnServer } from './spawn-server.mjs'

const ROOT = fileURLToPath(new URL('../', import.meta.url))
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10)
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3)
const RATE = Number(process.env.BENCH_RATE ?? 1000)
const PGBENCH = process.env.PGBENCH ?? '/usr/lib/postgresql/15/bin/pgbench'
const scratch = mkdtempSync(join(tmpdir(), 'imsync-bench-pg-'))
const run = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`
let sent = 0
const topicId = () => `@TGS#_@TGS#bench@TOPIC#_${run}-${sent++}`
const body = (id) =>
  `{"CallbackCommand":"Group.CallbackAfterCreateTopic","GroupId":"@TGS#bench","TopicId":"${id}","Operator_Account":"group_root","Owner_Account":"leckie","Type":"Community","Name":"bench","UserDefinedDataList":[{"Key":"k","Value":"v"}]}`

/** PostgreSQL's processes (the postmaster, its backends, the WAL writer, the checkpointer…), by pid. */
function postgresPids() {
  const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }))
  return readdirSync('/proc').filter((pid) => {
    if (!/^\d+$/.test(pid)) return false
    try {
      return Number(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) === uid
    } catch {
      return false
    }
  })
}

/** CPU ms of every PostgreSQL process so far; processes that start later count from zero. */
function postgresCpu() {
  const cpu = new Map()
  for (const pid of postgresPids()) {
    try {
      cpu.set(pid, processCpuMs(pid))
    } catch {}
  }
  return cpu
}
const cpuSince = (before, after) => [...after].reduce((sum, [pid, ms]) => sum + ms - (before.get(pid) ?? 0), 0)

/** A histogram's sum and count on a replica's /metrics. */
async function histograms(port) {
  const text = await fetch(`http://127.0.0.1:${port}/metrics`, {
    headers: { authorization: `Bearer ${API_TOKEN}` },
  }).then((r) => r.text())
  const value = (name) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? 0)
  const out = {}
  for (const name of [
    'im_store_commit_batch_size',
    'im_store_counter_lock_wait_seconds',
    'im_store_counter_lock_hold_seconds',
  ])
    out[name] = { sum: value(`${name}_sum`), count: value(`${name}_count`) }
  return out
}
async function metricsOf(ports) {
  const all = await Promise.all(ports.map(histograms))
  const out = {}
  for (const m of all)
    for (const [name, { sum, count }] of Object.entries(m)) {
      out[name] ??= { sum: 0, count: 0 }
      out[name].sum += sum
      out[name].count += count
    }
  return out
}
const meanSince = (before, after, name) =>
  (after[name].sum - before[name].sum) / Math.max(1, after[name].count - before[name].count)

function drive(port, seconds, acked) {
  return driveCallbacks(port, {
    connections: CONNECTIONS,
    seconds,
    path: signedCallbackPath(),
    next: () => {
      const id = topicId()
      return { id, body: body(id) }
    },
    onOk: (id) => acked.push(id),
  })
}

let replicasStarted = 0
/** A replica on `url` with the memory setting of `npm start`, logging at info to a file, as `npm run bench` does. */
const startReplica = (url) =>
  startQuietService(
    // Behind the balancer every connection comes from 127.0.0.1.
    { DATABASE_URL: url, LOG_LEVEL: 'info', MAX_CONNECTIONS_PER_ADDRESS: '1000' },
    { nodeArgs: NODE_MEMORY, logFile: join(scratch, `replica-${++replicasStarted}.log`) },
  )

/** The setups measured: one replica driven directly, then one and two behind the balancer. */
const SETUPS = [
  { count: 1, balanced: false, label: '1, direct' },
  { count: 1, balanced: true, label: '1, balanced' },
  { count: 2, balanced: true, label: '2, balanced' },
]

async function benchReplicas(url, { count, balanced, label }) {
  process.stderr.write(`benchmarking ${label} on PostgreSQL…\n`)
  const replicas = []
  // One at a time: the first applies the migrations.
  for (let i = 0; i < count; i++) replicas.push(await startReplica(url))
  const port = balanced ? await freePort() : replicas[0].port
  const balancer = balanced
    ? await spawnServer(
        process.execPath,
        [join(ROOT, 'bench/round-robin.mjs'), String(port), ...replicas.map((r) => String(r.port))],
        { cwd: ROOT, env: { PATH: process.env.PATH }, logFile: join(scratch, `balancer-${count}.log`) },
      )
    : null
  const ports = replicas.map((r) => r.port)
  const acked = []
  try {
    await drive(port, 2, acked)
    const rounds = []
    for (let round = 0; round < ROUNDS; round++) {
      const serviceBefore = replicas.map((r) => processCpuMs(r.pid))
      const balancerBefore = balancer ? processCpuMs(balancer.pid) : 0
      const pgBefore = postgresCpu()
      const metricsBefore = await metricsOf(ports)
      const r = await drive(port, SECONDS, acked)
      const metricsAfter = await metricsOf(ports)
      const per = (ms) => (ms * 1000) / Math.max(1, r.requests.total)
      rounds.push({
        rps: r.requests.average,
        errors: r.errors,
        timeouts: r.timeouts,
        non2xx: r.non2xx,
        serviceUs: per(replicas.reduce((sum, rep, i) => sum + processCpuMs(rep.pid) - serviceBefore[i], 0)),
        postgresUs: per(cpuSince(pgBefore, postgresCpu())),
        balancerUs: balancer ? per(processCpuMs(balancer.pid) - balancerBefore) : Number.NaN,
        batch: meanSince(metricsBefore, metricsAfter, 'im_store_commit_batch_size'),
        waitMs: meanSince(metricsBefore, metricsAfter, 'im_store_counter_lock_wait_seconds') * 1000,
        holdMs: meanSince(metricsBefore, metricsAfter, 'im_store_counter_lock_hold_seconds') * 1000,
      })
    }
    const path = signedCallbackPath()
    const fixed = await fixedRate({
      port,
      rate: RATE,
      seconds: SECONDS,
      path,
      body: (i) => body(`${run}-fixed-${label}-${i}`),
    })
    const client = new pg.Client({ connectionString: url })
    await client.connect()
    const stored = new Set(
      (await client.query('select topic_id from topics where topic_id = any($1)', [acked])).rows.map((r) => r.topic_id),
    )
    const lost = acked.filter((id) => !stored.has(id)).length
    await client.end()
    return { count, label, rounds, fixed, acked: acked.length, lost }
  } finally {
    balancer?.kill('SIGTERM')
    await Promise.all(replicas.map((replica) => replica.stop()))
  }
}

/**
 * The anchor: pgbench on a fresh database with the service's schema, each transaction the service's
 * for `batch` new topics, as the prepared writer sends it (src/store/postgres-batch.ts): BEGIN, the
 * topics (with the tombstones' lookups), the events, the positions and the counter in one statement,
 * COMMIT; prepared statements, one client per replica. Its rows come from generate_series rather than
 * from arrays sent by a client.
 */
async function pgbenchAnchor(url, batch, clients) {
  const script = join(scratch, `anchor-${batch}-${clients}.sql`)
  writeFileSync(
    script,
    `BEGIN;
insert into topics (topic_id, group_id, name, type, owner_account, operator_account, user_defined_data, client_ip, opt_platform, received_at, updated_at, deleted_at)
  select u.topic_id, '@TGS#bench', 'bench', 'Community', 'leckie', 'group_root', '[{"Key":"k","Value":"v"}]', '127.0.0.1', 'RESTAPI', now(), now(),
    coalesce((select tt.deleted_at from topic_tombstones tt where tt.topic_id = u.topic_id),
      (select gt.deleted_at from group_tombstones gt where gt.group_id = '@TGS#bench'))
  from (select gen_random_uuid()::text as topic_id from generate_series(1, ${batch})) as u
  on conflict (topic_id) do nothing returning topic_id;
insert into callback_events (received_at, command, query, body, body_size, outcome, reason)
  select now(), 'Group.CallbackAfterCreateTopic', '{"SdkAppid":"1400000000","CallbackCommand":"Group.CallbackAfterCreateTopic"}',
    convert_to(repeat('x', 220), 'UTF8'), 220, 'stored', null from generate_series(1, ${batch});
${NUMBER_PENDING_ON_POSTGRES.text.replace('$1', "'im_topic_changes'").replace(/\s+/g, ' ')};
COMMIT;
`,
  )
  const u = new URL(url)
  // pgbench's backends end with it: their CPU is read while they run.
  const before = postgresCpu()
  let latest = before
  const child = spawn(PGBENCH, [
    '-n',
    '-h',
    u.hostname,
    '-p',
    u.port || '5432',
    '-U',
    u.username || 'postgres',
    '-f',
    script,
    '-c',
    String(clients),
    '-j',
    String(clients),
    '-T',
    String(SECONDS),
    '-M',
    'prepared',
    u.pathname.slice(1),
  ])
  let out = ''
  child.stdout.on('data', (d) => (out += d))
  child.stderr.on('data', (d) => (out += d))
  const sampling = setInterval(() => {
    const now = postgresCpu()
    latest = new Map([...latest, ...now])
  }, 100)
  const code = await new Promise((resolve) => child.once('exit', resolve))
  clearInterval(sampling)
  if (code !== 0) throw new Error(`pgbench failed: ${out}`)
  const tps = Number(/tps = ([\d.]+)/.exec(out)[1])
  const latencyMs = Number(/latency average = ([\d.]+) ms/.exec(out)[1])
  return {
    batch,
    clients,
    tps,
    rowsPerSecond: tps * batch,
    latencyMs,
    postgresUs: (cpuSince(before, latest) * 1000) / (tps * batch * SECONDS),
  }
}

/** A database with the service's schema, for the anchor: a replica started and stopped on it. */
async function migrated(url) {
  await (await startReplica(url)).stop()
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]
const f = (n, d = 0) => (Number.isFinite(n) ? n.toFixed(d) : '–')
const results = []
const anchors = []
try {
  for (const setup of SETUPS) await withPostgresDatabase(async (url) => results.push(await benchReplicas(url, setup)))
  for (const r of results) {
    const batch = Math.max(1, Math.round(median(r.rounds.map((x) => x.batch))))
    await withPostgresDatabase(async (url) => {
      await migrated(url)
      anchors.push(await pgbenchAnchor(url, batch, r.count))
    })
  }
} finally {
  rmSync(scratch, { recursive: true, force: true })
}

const col = (r, key, d = 0) => `${f(median(r.rounds.map((x) => x[key])), d)}`
console.log(`
| replicas | callbacks/s, median (${ROUNDS} rounds) | CPU µs per callback: replicas / PostgreSQL / balancer | callbacks per commit | counter lock per commit: wait / hold ms | p50 / p99 ms at ${RATE}/s | acknowledged / lost |
| ---: | ---: | ---: | ---: | ---: | ---: | ---: |
${results
  .map(
    (r) =>
      `| ${r.label} | ${col(r, 'rps')} (${r.rounds.map((x) => f(x.rps)).join(', ')}) | ${col(r, 'serviceUs')} / ${col(r, 'postgresUs')} / ${col(r, 'balancerUs')} | ${col(r, 'batch', 1)} | ${col(r, 'waitMs', 2)} / ${col(r, 'holdMs', 2)} | ${f(r.fixed.p50, 2)} / ${f(r.fixed.p99, 2)} | ${r.acked} / ${r.lost} |`,
  )
  .join('\n')}

pgbench, the same transaction (${SECONDS} s, prepared statements):

| topics per transaction | clients | transactions/s | topics/s | latency ms | PostgreSQL CPU µs per topic |
| ---: | ---: | ---: | ---: | ---: | ---: |
${anchors.map((a) => `| ${a.batch} | ${a.clients} | ${f(a.tps)} | ${f(a.rowsPerSecond)} | ${f(a.latencyMs, 2)} | ${f(a.postgresUs)} |`).join('\n')}
`)
const problems = results.flatMap((r) => [
  ...r.rounds
    .filter((x) => x.errors + x.timeouts + x.non2xx > 0)
    .map((x) => `${r.label}, a round: ${x.errors} errors (${x.timeouts} timeouts), ${x.non2xx} non-2xx`),
  ...(r.fixed.errors + r.fixed.non2xx > 0
    ? [`${r.label}, fixed rate: ${r.fixed.errors} errors, ${r.fixed.non2xx} non-2xx`]
    : []),
])
if (problems.length > 0) console.log(`Problems seen: ${problems.join('; ')}`)
console.log(
  results.every((r) => r.lost === 0)
    ? 'Every acknowledged topic is in the database.'
    : `LOST acknowledged topics: ${results.map((r) => r.lost).join(', ')}`,
)

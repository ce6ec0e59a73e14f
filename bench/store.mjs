// node bench/store.mjs (after npm run build): the SQLite store alone, with no HTTP, fed batches of
// callbacks as group commit forms them under load, and what each SQL statement costs per callback.
// It measures, it does not assert. BENCH_BATCH (27, the mean batch size seen under the bench's load)
// and BENCH_BATCHES (1500) override the shape; BENCH_PRAGMA (say 'wal_autocheckpoint = 0') is run on
// the store's connection right after its own pragmas, to measure one setting against the default.
import { mkdtempSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createWrite } from './create-write.mjs'

const BATCH = Number(process.env.BENCH_BATCH ?? 27)
const BATCHES = Number(process.env.BENCH_BATCHES ?? 1500)

// Time every statement the store runs, by its SQL, by wrapping libsql's prepared statements.
const Libsql = createRequire(import.meta.url)('libsql')
const spent = new Map()
const { prepare } = Libsql.prototype
Libsql.prototype.prepare = function timedPrepare(sql) {
  const statement = prepare.call(this, sql)
  const label = sql.replace(/\s+/g, ' ').slice(0, 36)
  for (const method of ['run', 'all', 'get']) {
    const original = statement[method]
    statement[method] = (...args) => {
      const started = performance.now()
      try {
        return original.apply(statement, args)
      } finally {
        spent.set(label, (spent.get(label) ?? 0) + performance.now() - started)
      }
    }
  }
  return statement
}
if (process.env.BENCH_PRAGMA) {
  const { pragma } = Libsql.prototype
  Libsql.prototype.pragma = function pragmaThenExtra(source, options) {
    const result = pragma.call(this, source, options)
    if (/^synchronous/.test(source)) pragma.call(this, process.env.BENCH_PRAGMA)
    return result
  }
}
const { openSqliteStore } = await import('../dist/src/store/index.js')

const scratch = mkdtempSync(join(tmpdir(), 'imsync-store-bench-'))
const store = await openSqliteStore(join(scratch, 'store.db'))
function callback() {
  const { callback, effect } = createWrite()
  return store.record(callback, effect)
}
const batch = () => Promise.all(Array.from({ length: BATCH }, callback))

try {
  for (let i = 0; i < 200; i++) await batch() // warm-up: prepared statements, JIT, page cache
  spent.clear()
  const started = performance.now()
  const cpu = process.cpuUsage()
  for (let i = 0; i < BATCHES; i++) await batch()
  const n = BATCHES * BATCH
  const wall = (1000 * (performance.now() - started)) / n
  const { user, system } = process.cpuUsage(cpu)
  console.log(
    `SQLite store alone, ${BATCHES} batches of ${BATCH}: ${wall.toFixed(1)} µs per callback (CPU ${((user + system) / n).toFixed(1)} µs: user ${(user / n).toFixed(1)}, system ${(system / n).toFixed(1)})`,
  )
  for (const [label, ms] of [...spent].sort((a, b) => b[1] - a[1]).slice(0, 5)) {
    console.log(`  ${((1000 * ms) / n).toFixed(1).padStart(6)} µs per callback in ${label}…`)
  }
} finally {
  await store.close()
  rmSync(scratch, { recursive: true, force: true })
}

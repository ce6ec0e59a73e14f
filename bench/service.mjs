// What the benchmarks share: the Node service started on a free port, the V8 memory flags of the start
// commands, a signed callback URL, and a throwaway PostgreSQL database beside the server's own.
import { spawn } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { closeSync, openSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { freePort } from './spawn-server.mjs'

const ROOT = fileURLToPath(new URL('../', import.meta.url))
const PG_SERVER = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
export const SDKAPPID = '1400000000'
export const TOKEN = 'bench-token'
export const API_TOKEN = 'bench-api-token'

/**
 * The V8 memory flags the service starts with (docs/deploy.md, "Memory"): those of `npm start` on
 * Node, and of `deno task start` (as one `--v8-flags=`) on Deno.
 */
const v8Flags = (command) => command.match(/--max-(?:semi|old)-space-size=\d+/g) ?? []
export const NODE_MEMORY = v8Flags(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).scripts.start)
export const DENO_MEMORY = `--v8-flags=${v8Flags(JSON.parse(readFileSync(join(ROOT, 'deno.json'), 'utf8')).tasks.start.command).join(',')}`

/**
 * The environment of a benchmarked service on `port` of 127.0.0.1: this file's SdkAppid and tokens,
 * LOG_LEVEL warn, and then `env`.
 */
export function serviceEnv(port, env) {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    PORT: String(port),
    HOST: '127.0.0.1',
    IM_SDKAPPID: SDKAPPID,
    IM_CALLBACK_TOKEN: TOKEN,
    API_TOKEN,
    LOG_LEVEL: 'warn',
    ...env,
  }
}

/**
 * Starts the built Node service at LOG_LEVEL warn (unless `env` says otherwise) with `env` on a free
 * loopback port, and `nodeArgs` before the entry, and resolves once /healthz answers; its output is
 * appended to `logFile`, or discarded. `stop()` sends SIGTERM and waits for the exit.
 */
export async function startQuietService(env, { nodeArgs = [], logFile } = {}) {
  const port = await freePort()
  const out = logFile ? openSync(logFile, 'a') : 'ignore'
  const child = spawn(process.execPath, [...nodeArgs, join(ROOT, 'dist/src/node.js')], {
    cwd: ROOT,
    env: serviceEnv(port, env),
    stdio: ['ignore', out, 'inherit'],
  })
  if (typeof out === 'number') closeSync(out)
  // LOG_LEVEL warn: the startup line is not written, so wait for the port to answer instead.
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`the service exited with ${child.exitCode}`)
    const ok = await fetch(`http://127.0.0.1:${port}/healthz`).then(
      (r) => r.ok,
      () => false,
    )
    if (ok) break
    if (i > 300) throw new Error('the service did not start in 30 s')
    await new Promise((r) => setTimeout(r, 100))
  }
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    pid: child.pid,
    stop: () => new Promise((resolve) => (child.once('exit', resolve), child.kill('SIGTERM'))),
  }
}

/** The path of a `Group.CallbackAfterCreateTopic` callback signed now, as IM signs it. */
export function signedCallbackPath() {
  const time = Math.floor(Date.now() / 1000)
  const sign = createHash('sha256')
    .update(TOKEN + time)
    .digest('hex')
  return `/callback?SdkAppid=${SDKAPPID}&CallbackCommand=Group.CallbackAfterCreateTopic&contenttype=json&ClientIP=127.0.0.1&OptPlatform=RESTAPI&RequestTime=${time}&Sign=${sign}`
}

/**
 * Runs `work(databaseUrl)` on a database made for it on the PostgreSQL server and dropped after; when
 * the server does not answer, says so and skips.
 */
export async function withPostgresDatabase(work) {
  const admin = new pg.Client({ connectionString: PG_SERVER, connectionTimeoutMillis: 2000 })
  const reachable = await admin.connect().then(
    () => true,
    (error) => (console.error(`PostgreSQL not reachable (${error.message}): its rows are skipped`), false),
  )
  if (!reachable) return
  const name = `imsync_bench_${randomBytes(4).toString('hex')}`
  await admin.query(`create database ${name}`)
  const url = new URL(PG_SERVER)
  url.pathname = `/${name}`
  try {
    await work(url.toString())
  } finally {
    await admin.query(`drop database if exists ${name} with (force)`)
    await admin.end()
  }
}

import { randomBytes } from 'node:crypto'
import pg from 'pg'

/**
 * The PostgreSQL server the tests make throwaway databases on: TEST_DATABASE_URL, or the machine's own
 * server on 127.0.0.1:5432. With no server, the PostgreSQL suites say loudly that they skip, except in
 * CI (CI=true), where a missing server is a failure: .ci/run starts one.
 */
export const SERVER_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'

async function probe(): Promise<string | null> {
  const client = new pg.Client({ connectionString: SERVER_URL, connectionTimeoutMillis: 2000 })
  try {
    await client.connect()
    await client.query('select 1')
    return null
  } catch (error) {
    return error instanceof Error ? error.message : String(error)
  } finally {
    await client.end().catch(() => {})
  }
}

const problem = await probe()
if (problem !== null) {
  const message = `PostgreSQL is not reachable at ${SERVER_URL.replace(/:[^:@/]*@/, ':***@')} (${problem})`
  if (process.env.CI) throw new Error(`${message}; CI needs it (.ci/run starts it)`)
  console.warn(`\n!!! SKIPPING the PostgreSQL suites: ${message}. Set TEST_DATABASE_URL to run them. !!!\n`)
}

/** Whether the PostgreSQL suites run. */
export const postgresAvailable = problem === null

function withDatabase(url: string, database: string): string {
  const u = new URL(url)
  u.pathname = `/${database}`
  return u.toString()
}

async function admin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: SERVER_URL })
  await client.connect()
  try {
    return await work(client)
  } finally {
    await client.end()
  }
}

/** A database made for one test and dropped after it. */
export interface ThrowawayDatabase {
  name: string
  url: string
  drop(): Promise<void>
  /** Makes the database refuse new connections and cuts the open ones: an outage, for this database only. */
  stop(): Promise<void>
  /** Ends an outage begun by {@link stop}. */
  start(): Promise<void>
}

/** Creates an empty database on the test server. */
export async function createThrowawayDatabase(): Promise<ThrowawayDatabase> {
  const name = `imsync_test_${randomBytes(6).toString('hex')}`
  await admin((c) => c.query(`create database ${name}`))
  const cut = (c: pg.Client) =>
    c.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()', [
      name,
    ])
  return {
    name,
    url: withDatabase(SERVER_URL, name),
    drop: () => admin((c) => c.query(`drop database if exists ${name} with (force)`)).then(() => {}),
    stop: () =>
      admin(async (c) => {
        await c.query(`alter database ${name} allow_connections false`)
        await cut(c)
      }),
    start: () => admin((c) => c.query(`alter database ${name} allow_connections true`)).then(() => {}),
  }
}

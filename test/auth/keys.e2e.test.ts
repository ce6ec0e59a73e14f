import { execFile } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'
import { sampleAfterCreateTopic } from '../fixtures/index.ts'
import { API_TOKEN } from '../helpers/app.ts'
import { block } from '../helpers/doc-blocks.ts'
import { createThrowawayDatabase, postgresAvailable } from '../helpers/postgres.ts'
import { ROOT, type RunningService, sendSigned, startService } from '../helpers/service.ts'

// Keys of the read API end to end: made by the CLI, used against the real service, revoked.

const run = promisify(execFile)
const scratch = mkdtempSync(join(tmpdir(), 'imsync-keys-'))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

/** `im-topic-sync keys …` as an operator runs it, against `databaseUrl`. */
async function keys(databaseUrl: string, ...args: string[]) {
  return run(process.execPath, [join(ROOT, 'dist/src/cli/main.js'), 'keys', ...args], {
    env: { PATH: process.env.PATH!, DATABASE_URL: databaseUrl },
  })
}

async function createKey(databaseUrl: string, scopes: string) {
  const { stdout } = await keys(databaseUrl, 'create', '--name', 'search team', '--scopes', scopes, '--json')
  return JSON.parse(stdout) as { id: string; name: string; key: string; scopes: string[]; createdAt: string }
}

const get = (url: string, key: string) => fetch(url, { headers: { authorization: `Bearer ${key}` } })

/** Polls until `url` answers `status` with `key`; resolves how long that took, in ms. */
async function until(url: string, key: string, status: number, withinMs: number): Promise<number> {
  const started = performance.now()
  for (;;) {
    const res = await get(url, key)
    await res.body?.cancel()
    if (res.status === status) return performance.now() - started
    if (performance.now() - started > withinMs)
      throw new Error(`${url} still answers ${res.status} after ${withinMs} ms`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

describe('a key made by the CLI, on one service (SQLite)', () => {
  const databaseUrl = `file:${join(scratch, 'keys.db')}`
  let service: RunningService
  let made: Awaited<ReturnType<typeof createKey>>

  afterAll(async () => {
    await service?.stop()
  })

  it('reads within its scopes, and gets 403 naming the scope it lacks outside them', async () => {
    made = await createKey(databaseUrl, 'topics:read,changes:read')
    expect(made).toMatchObject({ id: expect.stringMatching(/^[a-z2-7]{16}$/), name: 'search team' })
    expect(made.key).toMatch(new RegExp(`^imts_${made.id}_[A-Za-z0-9_-]{43}$`))
    expect(made.scopes).toEqual(['topics:read', 'changes:read'])
    service = await startService({ env: { DATABASE_URL: databaseUrl } })
    expect((await sendSigned(service.url, sampleAfterCreateTopic)).status).toBe(200)

    const topics = await get(`${service.url}/topics`, made.key)
    expect(topics.status).toBe(200)
    expect(((await topics.json()) as { items: unknown[] }).items).toHaveLength(1)
    expect((await get(`${service.url}/changes`, made.key)).status).toBe(200)
    for (const [path, scope] of [
      ['/events', 'events:read'],
      ['/metrics', 'metrics:read'],
    ] as const) {
      const refused = await get(`${service.url}${path}`, made.key)
      expect(refused.status).toBe(403)
      expect(await refused.json()).toEqual({
        ActionStatus: 'FAIL',
        ErrorCode: 4020,
        ErrorInfo: `The key ${made.id} lacks the scope ${scope}, which ${path} needs`,
      })
    }
    // API_TOKEN has every scope.
    expect((await get(`${service.url}/events`, API_TOKEN)).status).toBe(200)
    // A key's form with a wrong secret is refused like any unknown token.
    const forged = `imts_${made.id}_${'A'.repeat(43)}`
    expect((await get(`${service.url}/topics`, forged)).status).toBe(401)
  })

  it('logs and counts each request under the key id, never the key', async () => {
    const line = service.logs.find((l) => l.includes('"msg":"read"') && l.includes(made.id))
    expect(JSON.parse(line!)).toMatchObject({ keyId: made.id, method: 'GET', path: '/topics', status: 200 })
    const metrics = await (await get(`${service.url}/metrics`, API_TOKEN)).text()
    expect(metrics).toContain(`im_api_requests_total{key="${made.id}",scope="topics:read",status="200"} 1`)
    expect(metrics).toContain('im_api_requests_total{key="API_TOKEN",scope="events:read",status="200"} 1')
  })

  it('lists keys without their secret, as text and as JSON', async () => {
    const secret = made.key.slice(-43)
    const text = (await keys(databaseUrl, 'list')).stdout
    expect(text).toContain(`${made.id}  search team  topics:read,changes:read  created ${made.createdAt}`)
    const json = JSON.parse((await keys(databaseUrl, 'list', '--json')).stdout)
    expect(json).toEqual([
      {
        id: made.id,
        name: 'search team',
        scopes: ['topics:read', 'changes:read'],
        createdAt: made.createdAt,
        // Written at most once a minute, in the background: either still null, or a time.
        lastUsedAt: json[0].lastUsedAt === null ? null : expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        revokedAt: null,
      },
    ])
    for (const out of [text, JSON.stringify(json)]) expect(out).not.toContain(secret)
  })

  it('ends an open stream and answers 401 within 2 s of revocation', async () => {
    const stream = await get(`${service.url}/changes/stream?after=0`, made.key)
    expect(stream.status).toBe(200)
    const reader = stream.body!.getReader()
    let text = ''
    const ended = (async () => {
      const decoder = new TextDecoder()
      for (;;) {
        const { done, value } = await reader.read().catch(() => ({ done: true, value: undefined }))
        if (done) return performance.now()
        text += decoder.decode(value, { stream: true })
      }
    })()
    const { stdout } = await keys(databaseUrl, 'revoke', made.id)
    expect(stdout.trim()).toBe(`Revoked ${made.id}: every replica refuses it within 2 seconds.`)
    const revokedAt = performance.now()
    const refusedAfter = await until(`${service.url}/topics`, made.key, 401, 2500)
    const streamEndedAfter = (await ended) - revokedAt
    console.log(
      `revocation on one replica: 401 after ${Math.round(refusedAfter)} ms, stream ended after ${Math.round(streamEndedAfter)} ms`,
    )
    expect(streamEndedAfter).toBeLessThan(2500)
    expect(text).toContain('id: 1\nevent: change')
    expect(text).toContain(': the key of this stream was revoked')
    const refused = await get(`${service.url}/topics`, made.key)
    expect(((await refused.json()) as { ErrorInfo: string }).ErrorInfo).toMatch(
      new RegExp(`^The key ${made.id} was revoked at `),
    )
    // Revoking it again says there is nothing to revoke, and exits 1.
    await expect(keys(databaseUrl, 'revoke', made.id)).rejects.toMatchObject({ code: 1 })
  })

  it('keeps the key nowhere: not in the database files, not in the log', async () => {
    const secret = made.key.slice(-43)
    const folder = join(scratch)
    for (const file of readdirSync(folder).filter((f) => f.startsWith('keys.db')))
      expect(readFileSync(join(folder, file)).includes(secret), file).toBe(false)
    for (const line of service.logs) expect(line).not.toContain(secret)
  })

  it('refuses a bad use of the CLI with a message that says what is wrong', async () => {
    await expect(keys(databaseUrl, 'create', '--name', 'x', '--scopes', 'topics:write')).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining(
        '--scopes: unknown scope "topics:write"; the scopes are topics:read, changes:read',
      ),
    })
    await expect(keys(databaseUrl, 'create', '--scopes', 'topics:read')).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining('--name must give who the key is for'),
    })
    await expect(keys(databaseUrl, 'rotate')).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining('say create, list or revoke, got "rotate"'),
    })
  })
})

describe('a key on the Deno entry', () => {
  it('reads within its scopes, gets 403 outside them, and its stream ends on revocation', async () => {
    const databaseUrl = `file:${join(scratch, 'deno.db')}`
    const made = await createKey(databaseUrl, 'changes:read')
    const service = await startService({ runtime: 'deno', env: { DATABASE_URL: databaseUrl } })
    try {
      expect((await get(`${service.url}/topics`, made.key)).status).toBe(403)
      const stream = await get(`${service.url}/changes/stream?after=0`, made.key)
      expect(stream.status).toBe(200)
      const ended = stream.text().then(
        () => performance.now(),
        () => performance.now(),
      )
      await keys(databaseUrl, 'revoke', made.id)
      const revokedAt = performance.now()
      await until(`${service.url}/changes`, made.key, 401, 2500)
      expect((await ended) - revokedAt).toBeLessThan(2500)
    } finally {
      await service.stop()
    }
  })
})

describe("docs/read-api.md's keys block", () => {
  it('makes a key and lists it, without its secret', async () => {
    const databaseUrl = `file:${join(scratch, 'docs-block.db')}`
    const { stdout, stderr } = await run('bash', ['-euo', 'pipefail', '-c', block('keys')], {
      cwd: ROOT,
      env: { PATH: process.env.PATH!, HOME: process.env.HOME!, DATABASE_URL: databaseUrl },
    })
    const [key, listed] = stdout.trim().split('\n')
    const id = /^imts_([a-z2-7]{16})_[A-Za-z0-9_-]{43}$/.exec(key!)![1]
    expect(stderr).toContain(`Key ${id} for search-team (topics:read, changes:read). It is shown this once`)
    expect(listed).toMatch(new RegExp(`^${id}  search-team  topics:read,changes:read  created \\S+  last used never$`))
  })
})

describe.skipIf(!postgresAvailable)('a key on two replicas of one PostgreSQL (skipped only without a server)', () => {
  it('works on both at once, and is refused by both within 2 s of revocation', async () => {
    const db = await createThrowawayDatabase()
    const replicas: RunningService[] = []
    try {
      replicas.push(await startService({ env: { DATABASE_URL: db.url } }))
      replicas.push(await startService({ env: { DATABASE_URL: db.url } }))
      // Made after both started: the replicas learn of it on its first use.
      const made = await createKey(db.url, 'topics:read')
      for (const replica of replicas) expect((await get(`${replica.url}/topics`, made.key)).status).toBe(200)
      await keys(db.url, 'revoke', made.id)
      const after = await Promise.all(replicas.map((r) => until(`${r.url}/topics`, made.key, 401, 2500)))
      console.log(
        `revocation on two PostgreSQL replicas: 401 after ${after.map((ms) => `${Math.round(ms)} ms`).join(' and ')}`,
      )
    } finally {
      for (const replica of replicas) await replica.stop()
      await db.drop()
    }
  })
})

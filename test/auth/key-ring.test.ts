import { describe, expect, it } from 'vitest'
import { generateKey, parseKey, parseScopes, secretMatches } from '../../src/auth/api-key.ts'
import { createKeyRing, OPERATOR_KEY_ID } from '../../src/auth/key-ring.ts'
import { createLogger } from '../../src/log/index.ts'
import type { ApiKeys, StoredApiKey } from '../../src/store/index.ts'

const log = createLogger({ level: 'silent' })

/** `text` with its last character changed (to another character of the key alphabet). */
const otherLast = (text: string) => `${text.slice(0, -1)}${text.endsWith('A') ? 'B' : 'A'}`

/** An in-memory key table that counts its reads, with a clock the test moves. */
function fakeStore() {
  const rows: StoredApiKey[] = []
  const calls = { list: 0, touched: [] as Array<{ ids: string[]; at: string }> }
  const store: ApiKeys = {
    insertApiKey: async (key) => void rows.push({ ...key, lastUsedAt: null, revokedAt: null }),
    listApiKeys: async () => {
      calls.list++
      return rows.map((r) => ({ ...r }))
    },
    revokeApiKey: async (id, at) => {
      const row = rows.find((r) => r.id === id && r.revokedAt === null)
      if (row) row.revokedAt = at
      return row !== undefined
    },
    touchApiKeys: async (ids, at) => void calls.touched.push({ ids, at }),
  }
  return { store, calls }
}

async function addKey(store: ApiKeys, scopes = ['topics:read']) {
  const { id, key, hash } = generateKey()
  await store.insertApiKey({ id, name: 'team', scopes, secretHash: hash, createdAt: new Date(0).toISOString() })
  return { id, key }
}

describe('keys', () => {
  it('have a recognisable prefix, a 256-bit secret, and a hash that only their secret matches', () => {
    const { id, key, hash } = generateKey()
    const parsed = parseKey(key)!
    expect(parsed.id).toBe(id)
    expect(Buffer.from(parsed.secret, 'base64url')).toHaveLength(32)
    expect(secretMatches(id, parsed.secret, hash)).toBe(true)
    expect(secretMatches(id, otherLast(parsed.secret), hash)).toBe(false)
    expect(hash).not.toContain(parsed.secret)
    expect(parseKey(`${key}x`)).toBeUndefined()
    expect(generateKey().id).not.toBe(id)
  })

  it('take only known scopes, and say which one is not', () => {
    expect(parseScopes(' topics:read, changes:read,topics:read')).toEqual(['topics:read', 'changes:read'])
    expect(() => parseScopes('')).toThrow('give at least one scope: topics:read, changes:read')
    expect(() => parseScopes('topics:read,admin')).toThrow('unknown scope "admin"')
  })
})

describe('the key ring', () => {
  it('proves API_TOKEN with every scope, a key with its own, and refuses the rest with 401', async () => {
    const { store } = fakeStore()
    const { id, key } = await addKey(store)
    const ring = createKeyRing({ store, apiToken: 'operator-token', log })
    expect((await ring.authenticate('Bearer operator-token')).keyId).toBe(OPERATOR_KEY_ID)
    const principal = await ring.authenticate(`Bearer ${key}`)
    expect(principal).toEqual({ keyId: id, scopes: new Set(['topics:read']) })
    for (const [header, why] of [
      [undefined, 'Authorization: Bearer <key> is missing'],
      ['Basic abc', 'Authorization must be "Bearer <key>"'],
      ['Bearer nope', 'The bearer token is not a key of this service, nor its API_TOKEN'],
      [`Bearer ${otherLast(key)}`, 'The bearer token is not a key of this service, nor its API_TOKEN'],
    ] as const) {
      await expect(ring.authenticate(header)).rejects.toMatchObject({ kind: 'API_TOKEN_INVALID', message: why })
    }
  })

  it('reads the table once for many requests, and again for a key it does not know, at most once a second', async () => {
    let now = 0
    const { store, calls } = fakeStore()
    const first = await addKey(store)
    const ring = createKeyRing({ store, apiToken: undefined, log, now: () => now })
    for (let i = 0; i < 50; i++) await ring.authenticate(`Bearer ${first.key}`)
    expect(calls.list).toBe(1)
    // A key made since is found on its first use.
    const second = await addKey(store)
    now += 1000
    expect((await ring.authenticate(`Bearer ${second.key}`)).keyId).toBe(second.id)
    expect(calls.list).toBe(2)
    // Unknown keys do not send every request to the database.
    const stranger = generateKey().key
    for (let i = 0; i < 20; i++) await expect(ring.authenticate(`Bearer ${stranger}`)).rejects.toThrow()
    expect(calls.list).toBe(2)
  })

  it('reads the table again before a request after a quiet spell, so a key revoked meanwhile is refused at once', async () => {
    let now = 0
    const { store, calls } = fakeStore()
    const { id, key } = await addKey(store)
    const ring = createKeyRing({ store, apiToken: undefined, log, now: () => now, refreshMs: 1000 })
    await ring.authenticate(`Bearer ${key}`)
    await store.revokeApiKey(id, new Date(0).toISOString())
    now += 5000
    await expect(ring.authenticate(`Bearer ${key}`)).rejects.toMatchObject({
      message: expect.stringContaining('was revoked'),
    })
    expect(calls.list).toBe(2)
  })

  it('refuses a revoked key after the next read, ends its watches, and records last use at most once a minute', async () => {
    let now = 0
    const { store, calls } = fakeStore()
    const { id, key } = await addKey(store)
    const ring = createKeyRing({ store, apiToken: undefined, log, now: () => now, refreshMs: 1000 })
    await ring.authenticate(`Bearer ${key}`)
    const watch = ring.watch(id)
    expect(watch.signal.aborted).toBe(false)
    await store.revokeApiKey(id, new Date(500).toISOString())
    // Within refreshMs, the key read last is in force.
    await ring.authenticate(`Bearer ${key}`)
    now += 1000
    // A request past refreshMs reads the table in the background; the one after it is refused.
    await ring.authenticate(`Bearer ${key}`)
    await new Promise((r) => setTimeout(r, 10))
    await expect(ring.authenticate(`Bearer ${key}`)).rejects.toMatchObject({
      message: `The key ${id} was revoked at 1970-01-01T00:00:00.500Z`,
    })
    expect(watch.signal.aborted).toBe(true)
    watch.release()
    expect(calls.touched).toEqual([{ ids: [id], at: new Date(1000).toISOString() }])
    await ring.stop()
    expect(calls.touched).toHaveLength(1)
  })
})

import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { describeDatabaseUrl, openSqliteStore, openStore } from '../../src/store/index.ts'
import { runStoreContract } from './store-contract.ts'

runStoreContract('SQLite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'imsync-'))
  const path = join(dir, 'nested', 'callbacks.db')
  return { open: () => openSqliteStore(path), drop: async () => rmSync(dir, { recursive: true, force: true }) }
})

describe('the SQLite file', () => {
  it('is created readable and writable by its owner only, in a folder only its owner can enter', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'imsync-'))
    const store = await openStore(`file:${join(dir, 'data', 'x.db')}`)
    await store.record({ receivedAt: 0, command: 'c', query: {}, body: new Uint8Array([1]) }, { kind: 'ignore' })
    // The journal files exist while the database is open; SQLite gives them the database's mode.
    for (const file of ['x.db', 'x.db-wal', 'x.db-shm']) expect(statSync(join(dir, 'data', file)).mode & 0o777, file).toBe(0o600)
    await store.close()
    expect(statSync(join(dir, 'data', 'x.db')).mode & 0o777).toBe(0o600)
    expect(statSync(join(dir, 'data')).mode & 0o777).toBe(0o700)
    rmSync(dir, { recursive: true })
  })
})

describe('DATABASE_URL', () => {
  it('selects SQLite in ./data when unset, and for file: URLs and plain paths', () => {
    expect(describeDatabaseUrl(undefined)).toEqual({ kind: 'sqlite', path: './data/callbacks.db' })
    expect(describeDatabaseUrl('file:./x/y.db')).toEqual({ kind: 'sqlite', path: './x/y.db' })
    expect(describeDatabaseUrl('file:///var/lib/im/y.db')).toEqual({ kind: 'sqlite', path: '/var/lib/im/y.db' })
    expect(describeDatabaseUrl('/var/lib/im/y.db')).toEqual({ kind: 'sqlite', path: '/var/lib/im/y.db' })
  })

  it('selects PostgreSQL for postgres:// and postgresql:// URLs', () => {
    expect(describeDatabaseUrl('postgres://u@h/db')).toEqual({ kind: 'postgres', url: 'postgres://u@h/db' })
    expect(describeDatabaseUrl('postgresql://u@h/db')).toEqual({ kind: 'postgres', url: 'postgresql://u@h/db' })
  })
})

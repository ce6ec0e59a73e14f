import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Kysely, type SqliteDatabase, SqliteDialect } from 'kysely'
import Libsql from 'libsql'
import { describe, expect, it } from 'vitest'
import { ConfigError, loadConfig, loadDatabaseUrl } from '../../src/config/index.ts'
import { DatabaseUrlError, describeDatabaseUrl, openSqliteStore, openStore } from '../../src/store/index.ts'
import { migrateToLatest } from '../../src/store/migrations.ts'
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
    for (const file of ['x.db', 'x.db-wal', 'x.db-shm'])
      expect(statSync(join(dir, 'data', file)).mode & 0o777, file).toBe(0o600)
    await store.close()
    expect(statSync(join(dir, 'data', 'x.db')).mode & 0o777).toBe(0o600)
    expect(statSync(join(dir, 'data')).mode & 0o777).toBe(0o700)
    rmSync(dir, { recursive: true })
  })
})

describe('upgrading a database made before the change feed', () => {
  it('numbers the existing topics in the order they were stored, then goes on from there', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'imsync-'))
    const path = join(dir, 'old.db')
    const old = new Kysely<any>({
      dialect: new SqliteDialect({ database: new Libsql(path) as unknown as SqliteDatabase }),
    })
    await migrateToLatest(old, 'sqlite', '0002_topic_lifecycle')
    for (const [n, deleted] of [
      [1, null],
      [2, '2026-11-22T09:00:00.000Z'],
      [3, null],
    ] as const) {
      await old
        .insertInto('topics')
        .values({
          topic_id: `t${n}`,
          group_id: 'g',
          name: `topic ${n}`,
          type: 'Community',
          received_at: '2026-11-22T08:00:00.000Z',
          updated_at: '2026-11-22T08:00:00.000Z',
          deleted_at: deleted,
        })
        .execute()
    }
    await old.destroy()
    const store = await openSqliteStore(path)
    const page = await store.listChanges({ after: 0, limit: 10 })
    expect(page.items.map((c) => [c.position, c.kind, c.topic.TopicId])).toEqual([
      [1, 'created', 't1'],
      [2, 'deleted', 't2'],
      [3, 'created', 't3'],
    ])
    expect(await store.lastPosition()).toBe(3)
    await store.record(
      { receivedAt: Date.UTC(2026, 10, 22, 10), command: 'c', query: {}, body: new Uint8Array() },
      { kind: 'destroyTopics', groupId: 'g', topicIds: ['t1'] },
    )
    expect(
      (await store.listChanges({ after: 3, limit: 10 })).items.map((c) => [c.position, c.kind, c.topic.TopicId]),
    ).toEqual([[4, 'deleted', 't1']])
    await store.close()
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

  it('takes a Windows drive letter for a path, not a scheme', () => {
    expect(describeDatabaseUrl('C:\\im\\y.db')).toEqual({ kind: 'sqlite', path: 'C:\\im\\y.db' })
  })

  it('refuses any other scheme, naming it and nothing else of the URL', () => {
    const refusal = (url: string) => {
      try {
        describeDatabaseUrl(url)
      } catch (error) {
        expect(error).toBeInstanceOf(DatabaseUrlError)
        return (error as Error).message
      }
      throw new Error(`${url} was accepted`)
    }
    for (const url of ['mysql://u:pw1@h/db', 'postgress://u:pw1@h/db', 'sqlite://./x.db', 'https://u:pw1@h/x']) {
      const message = refusal(url)
      expect(message).toBe(
        `DATABASE_URL has the scheme "${url.split(':')[0]}:", which this service does not support: use postgres:// or postgresql:// for PostgreSQL, or file: or a plain path for SQLite`,
      )
      expect(message).not.toContain('pw1')
    }
    expect(refusal('postgresql:u:pw1@h/db')).toBe(
      'DATABASE_URL starts with "postgresql:" but not "postgresql://"; write it as postgres://user:password@host:5432/database',
    )
  })

  it('turns reconciliation on with both of its credentials, and refuses one without the other', () => {
    expect(loadConfig({ IM_SDKAPPID: '1' }).reconcile).toBeUndefined()
    expect(loadConfig({ IM_SDKAPPID: '1', IM_ADMIN_IDENTIFIER: 'admin', IM_SECRET_KEY: 'k' }).reconcile).toEqual({
      apiBase: 'https://console.tim.qq.com',
      identifier: 'admin',
      secretKey: 'k',
      intervalMs: 3_600_000,
      timeoutMs: 5000,
      allowMassDelete: false,
    })
    expect(() => loadConfig({ IM_SDKAPPID: '1', IM_ADMIN_IDENTIFIER: 'admin' })).toThrow(
      "IM_ADMIN_IDENTIFIER is set but IM_SECRET_KEY is not; reconciliation with IM's REST API needs both",
    )
    expect(() => loadConfig({ IM_SDKAPPID: '1', IM_API_BASE: 'console.tim.qq.com' })).toThrow(
      'IM_API_BASE must be an http(s) URL such as https://console.tim.qq.com, got "console.tim.qq.com"',
    )
    expect(() => loadConfig({ IM_SDKAPPID: '1', RECONCILE_INTERVAL: '1h' })).toThrow(
      'RECONCILE_INTERVAL must be an integer from 0 to 604800, got "1h"',
    )
  })

  it('is checked with the rest of the configuration, at startup', () => {
    expect(() => loadConfig({ IM_SDKAPPID: '1', DATABASE_URL: 'mysql://u:pw1@h/db' })).toThrow(
      new ConfigError(
        'The configuration is invalid:\n- DATABASE_URL has the scheme "mysql:", which this service does not support: use postgres:// or postgresql:// for PostgreSQL, or file: or a plain path for SQLite',
      ),
    )
    expect(() => loadDatabaseUrl({ DATABASE_URL: 'postgress://u:pw1@h/db' })).toThrow(ConfigError)
    expect(loadDatabaseUrl({ DATABASE_URL: 'postgres://u:pw1@h/db' })).toBe('postgres://u:pw1@h/db')
  })
})

import { generateKey, parseScopes, SCOPES } from '../auth/api-key.ts'
import { loadDatabaseUrl } from '../config/index.ts'
import { openStore, type StoredApiKey } from '../store/index.ts'
import type { CliIo } from './io.ts'

/** `im-topic-sync keys`'s help. */
export const KEYS_USAGE = `Usage: im-topic-sync keys <create|list|revoke> [options]

Keys of the read API, one per team, each with its scopes. The database (DATABASE_URL, or
./data/callbacks.db) keeps the hash of a key, never the key: 'create' prints it once. Every replica
accepts a new key at once, and refuses a revoked one within 2 seconds (its open change streams end).

  keys create --name TEAM --scopes SCOPE[,SCOPE…] [--json]
  keys list [--json]
  keys revoke ID

Scopes: ${SCOPES.join(', ')}

Options:
  --name NAME        who the key is for (create)
  --scopes LIST      comma-separated scopes (create)
  --json             print JSON
  -h, --help         this help`

/** Thrown for a wrong use of `keys`; run-cli prints it with the usage hint. */
export class KeysUsageError extends Error {
  override readonly name = 'UsageError'
}

/** A key as `list` shows it: everything but the hash. */
const shown = ({ secretHash: _, ...key }: StoredApiKey) => key

/**
 * Runs `im-topic-sync keys <create|list|revoke>`.
 *
 * @example
 * ```ts
 * await runKeys({ name: 'search', scopes: 'topics:read' }, ['create'], io)
 * ```
 */
export async function runKeys(
  values: Record<string, string | boolean | undefined>,
  positionals: string[],
  io: CliIo,
): Promise<number> {
  const [action, ...rest] = positionals
  if (action !== 'create' && action !== 'list' && action !== 'revoke')
    throw new KeysUsageError(`say create, list or revoke, got ${JSON.stringify(action ?? '')}`)
  if (action === 'revoke' ? rest.length !== 1 : rest.length !== 0)
    throw new KeysUsageError(action === 'revoke' ? 'revoke takes one key id' : `${action} takes no argument`)
  let create: { name: string; scopes: ReturnType<typeof parseScopes> } | undefined
  if (action === 'create') {
    const name = typeof values.name === 'string' ? values.name.trim() : ''
    if (name === '' || name.length > 200)
      throw new KeysUsageError('--name must give who the key is for (1 to 200 characters)')
    if (typeof values.scopes !== 'string') throw new KeysUsageError(`--scopes is required: ${SCOPES.join(', ')}`)
    try {
      create = { name, scopes: parseScopes(values.scopes) }
    } catch (error) {
      throw new KeysUsageError(`--scopes: ${(error as Error).message}`)
    }
  }
  const store = await openStore(loadDatabaseUrl(io.env))
  try {
    if (create) {
      const { id, key, hash } = generateKey()
      const createdAt = new Date().toISOString()
      await store.insertApiKey({ id, name: create.name, scopes: create.scopes, secretHash: hash, createdAt })
      if (values.json) io.out(JSON.stringify({ id, name: create.name, key, scopes: create.scopes, createdAt }))
      else {
        io.out(key)
        io.err(
          `Key ${id} for ${create.name} (${create.scopes.join(', ')}). It is shown this once: keep it in a secret store.`,
        )
      }
      return 0
    }
    if (action === 'list') {
      const keys = (await store.listApiKeys()).map(shown)
      if (values.json) io.out(JSON.stringify(keys))
      else if (keys.length === 0)
        io.out('No keys. Make one with: im-topic-sync keys create --name TEAM --scopes topics:read')
      else {
        for (const k of keys) {
          const state = k.revokedAt ? `revoked ${k.revokedAt}` : `last used ${k.lastUsedAt ?? 'never'}`
          io.out(`${k.id}  ${k.name}  ${k.scopes.join(',')}  created ${k.createdAt}  ${state}`)
        }
      }
      return 0
    }
    const id = rest[0]!
    if (await store.revokeApiKey(id, new Date().toISOString())) {
      io.out(`Revoked ${id}: every replica refuses it within 2 seconds.`)
      return 0
    }
    io.err(
      `No key ${JSON.stringify(id.slice(0, 40))} to revoke (unknown, or revoked already): see im-topic-sync keys list`,
    )
    return 1
  } finally {
    await store.close()
  }
}

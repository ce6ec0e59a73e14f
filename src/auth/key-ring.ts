import { Refusal } from '../contract/refusal.ts'
import { describeError, type Logger } from '../log/index.ts'
import type { ApiKeys, StoredApiKey } from '../store/index.ts'
import { constantTimeEqual } from '../verify/constant-time-equal.ts'
import { parseKey, SCOPES, type Scope, secretMatches } from './api-key.ts'

/**
 * Who a request is: the id of its key (`API_TOKEN` for the operator's token), and what it may do.
 *
 * @example
 * ```ts
 * if (!principal.scopes.has('topics:read')) throw new Refusal('SCOPE_MISSING', …)
 * ```
 */
export interface Principal {
  keyId: string
  scopes: ReadonlySet<Scope>
}

/** The key id that requests made with `API_TOKEN` carry in logs and metrics. */
export const OPERATOR_KEY_ID = 'API_TOKEN'

/**
 * The keys this replica accepts, read from the database at most every `refreshMs` while requests come
 * (in the background: no query per request), at once for a key it does not know yet (at most once a
 * second) or after a quiet spell, and every `refreshMs` while a change stream is open, so that a
 * revoked key's stream ends too. No request is accepted on a read older than 2 × `refreshMs`.
 *
 * @example
 * ```ts
 * const ring = createKeyRing({ store, apiToken: config.apiToken, log })
 * const principal = await ring.authenticate(c.req.header('authorization'))
 * ```
 */
export interface KeyRing {
  /** The principal an `Authorization` header proves; throws a 401 `Refusal` that says what is wrong. */
  authenticate(header: string | undefined): Promise<Principal>
  /**
   * Watches a key for as long as something lasts (a change stream): `signal` is aborted once the key
   * is seen revoked, never for `API_TOKEN`; `release` ends the watch.
   */
  watch(keyId: string): { signal: AbortSignal; release(): void }
  /** Stops watching, and records the last uses. */
  stop(): Promise<void>
}

export interface KeyRingOptions {
  store: ApiKeys
  apiToken: string | undefined
  log: Logger
  /** How often the keys are read again: the longest a revoked key keeps working. */
  refreshMs?: number
  /** How often a key's `last_used_at` is written, at most. */
  touchMs?: number
  now?: () => number
}

const ALL_SCOPES: ReadonlySet<Scope> = new Set(SCOPES)
/** A key this replica does not know sends it to the database at most this often. */
const MISS_RELOAD_MS = 1000

const unauthorized = (why: string) => new Refusal('API_TOKEN_INVALID', why)

/**
 * Makes the {@link KeyRing} of one replica.
 *
 * @example
 * ```ts
 * const ring = createKeyRing({ store, apiToken: config.apiToken, log, refreshMs: 1000 })
 * ```
 */
export function createKeyRing({
  store,
  apiToken,
  log,
  refreshMs = 1000,
  touchMs = 60_000,
  now = Date.now,
}: KeyRingOptions): KeyRing {
  let keys = new Map<string, StoredApiKey>()
  // Each key's principal, made once per read of the table rather than once per request.
  let principals = new Map<string, Principal>()
  let loadedAt = Number.NEGATIVE_INFINITY
  let loading: Promise<void> | undefined
  let timer: ReturnType<typeof setInterval> | undefined
  // The watched keys, each with its signal and how many watch it.
  const watched = new Map<string, { controller: AbortController; count: number }>()
  const used = new Set<string>()
  const touchedAt = new Map<string, number>()

  async function load(): Promise<void> {
    const listed = await store.listApiKeys()
    keys = new Map(listed.map((k) => [k.id, k]))
    principals = new Map(listed.map((k) => [k.id, { keyId: k.id, scopes: new Set(k.scopes as Scope[]) }]))
    loadedAt = now()
    for (const [id, watch] of watched) if (keys.get(id)?.revokedAt) watch.controller.abort()
  }

  /** One load at a time: requests that miss together share it. */
  function reload(): Promise<void> {
    loading ??= load().finally(() => {
      loading = undefined
    })
    return loading
  }

  /** Writes `last_used_at` for the keys used since, each at most once per `touchMs`. */
  async function touch(): Promise<void> {
    const at = now()
    const due = [...used].filter((id) => at - (touchedAt.get(id) ?? Number.NEGATIVE_INFINITY) >= touchMs)
    if (due.length === 0) return
    for (const id of due) {
      used.delete(id)
      touchedAt.set(id, at)
    }
    await store.touchApiKeys(due, new Date(at).toISOString())
  }

  async function refresh(): Promise<void> {
    try {
      await reload()
      await touch()
    } catch (error) {
      // The keys last read stay in force; a revocation made meanwhile waits for the database.
      log.warn('keys not refreshed', describeError(error))
    }
  }

  /** Reads the keys again in the background when the last read is older than `refreshMs`. */
  function refreshIfStale(): void {
    if (loading === undefined && now() - loadedAt >= refreshMs) void refresh()
  }

  return {
    async authenticate(header) {
      if (header === undefined) throw unauthorized('Authorization: Bearer <key> is missing')
      const match = /^Bearer +(\S+) *$/i.exec(header)
      if (!match) throw unauthorized('Authorization must be "Bearer <key>"')
      const presented = match[1]!
      if (apiToken !== undefined && constantTimeEqual(presented, apiToken))
        return { keyId: OPERATOR_KEY_ID, scopes: ALL_SCOPES }
      const parsed = parseKey(presented)
      const notOurs = `The bearer token is not a key of this service${apiToken === undefined ? ' (and it has no API_TOKEN)' : ', nor its API_TOKEN'}`
      if (!parsed) throw unauthorized(notOurs)
      const age = now() - loadedAt
      // A key not known yet is looked for at once (at most once a second). A known one is taken from
      // what was read last, which is refreshed in the background once it is refreshMs old; after a
      // quiet spell (twice that), it is read again first, so that no request is ever let through on
      // a read of the table older than 2 × refreshMs.
      if (keys.has(parsed.id) ? age >= 2 * refreshMs : age >= MISS_RELOAD_MS) await reload()
      else refreshIfStale()
      const key = keys.get(parsed.id)
      if (!key || !secretMatches(parsed.id, parsed.secret, key.secretHash)) throw unauthorized(notOurs)
      if (key.revokedAt) throw unauthorized(`The key ${key.id} was revoked at ${key.revokedAt}`)
      used.add(key.id)
      return principals.get(key.id)!
    },

    watch(keyId) {
      if (keyId === OPERATOR_KEY_ID) return { signal: new AbortController().signal, release: () => {} }
      let watch = watched.get(keyId)
      if (!watch) {
        watch = { controller: new AbortController(), count: 0 }
        watched.set(keyId, watch)
      }
      watch.count++
      if (keys.get(keyId)?.revokedAt) watch.controller.abort()
      // While anything is watched, the keys are read every refreshMs even if no request comes.
      timer ??= setInterval(() => void refresh(), refreshMs)
      timer.unref?.()
      const held = watch
      let released = false
      return {
        signal: held.controller.signal,
        release() {
          if (released) return
          released = true
          if (--held.count === 0 && watched.get(keyId) === held) watched.delete(keyId)
          if (watched.size === 0) {
            clearInterval(timer)
            timer = undefined
          }
        },
      }
    },

    async stop() {
      clearInterval(timer)
      timer = undefined
      await touch().catch((error: unknown) => log.warn('key use not recorded', describeError(error)))
    },
  }
}

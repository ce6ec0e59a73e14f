import { z } from 'zod'
import { DatabaseUrlError, describeDatabaseUrl } from '../store/database-url.ts'

const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const

/**
 * The defaults of the settings that have one, shared by {@link loadConfig} and by `createApp` in
 * library mode.
 *
 * @example
 * ```ts
 * DEFAULTS.maxBodyBytes // 262144
 * ```
 */
export const DEFAULTS = {
  port: 8080,
  host: '0.0.0.0',
  requestTimeWindowSeconds: 60,
  maxBodyBytes: 256 * 1024,
  callbackDeadlineMs: 1500,
  bodyTimeoutMs: 1000,
  maxJsonDepth: 32,
  maxJsonArrayLength: 10_000,
  maxHeaderBytes: 16 * 1024,
  maxConnections: 1024,
  maxConnectionsPerAddress: 128,
  imApiBase: 'https://console.tim.qq.com',
  reconcileIntervalSeconds: 3600,
  imApiTimeoutMs: 5000,
  changesHeartbeatMs: 15_000,
  changesPollMs: 1000,
  changesStallMs: 30_000,
  maxChangeStreams: 200,
  eventRetentionDays: 30,
  eventBodies: 'handled',
} as const

const integer = (name: string, min: number, max: number, fallback: number) =>
  z
    .string()
    .optional()
    .transform((raw, ctx) => {
      if (raw === undefined || raw === '') return fallback
      const value = Number(raw)
      if (!/^\d+$/.test(raw) || value < min || value > max) {
        ctx.addIssue({
          code: 'custom',
          message: `${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`,
        })
        return z.NEVER
      }
      return value
    })

const optionalSecret = (name: string) =>
  z
    .string()
    .optional()
    .transform((raw, ctx) => {
      if (raw === undefined || raw === '') return undefined
      if (raw.trim() !== raw) {
        ctx.addIssue({ code: 'custom', message: `${name} has leading or trailing white space; remove it` })
        return z.NEVER
      }
      return raw
    })

/** A setting that takes one of a few words. */
const oneOf = <const T extends readonly [string, ...string[]]>(name: string, values: T, fallback: T[number]) =>
  z
    .string()
    .optional()
    .transform((raw, ctx) => {
      if (raw === undefined || raw === '') return fallback
      if (!(values as readonly string[]).includes(raw)) {
        ctx.addIssue({
          code: 'custom',
          message: `${name} must be one of ${values.join(', ')}, got ${JSON.stringify(raw.slice(0, 100))}`,
        })
        return z.NEVER
      }
      return raw as T[number]
    })

const Environment = z.object({
  PORT: integer('PORT', 0, 65535, DEFAULTS.port),
  HOST: z
    .string()
    .optional()
    .transform((raw) => raw || DEFAULTS.host),
  IM_SDKAPPID: z
    .string({ error: 'IM_SDKAPPID is required: the SDKAppID of your IM app, for example IM_SDKAPPID=1400000000' })
    .regex(/^\d{1,20}$/, {
      error: 'IM_SDKAPPID must be the SDKAppID of your IM app: digits only, for example 1400000000',
    }),
  IM_CALLBACK_TOKEN: optionalSecret('IM_CALLBACK_TOKEN'),
  IM_CALLBACK_TOKEN_PREVIOUS: optionalSecret('IM_CALLBACK_TOKEN_PREVIOUS'),
  IM_REQUEST_TIME_WINDOW: integer('IM_REQUEST_TIME_WINDOW', 1, 86_400, DEFAULTS.requestTimeWindowSeconds),
  MAX_BODY_BYTES: integer('MAX_BODY_BYTES', 1024, 64 * 1024 * 1024, DEFAULTS.maxBodyBytes),
  CALLBACK_DEADLINE_MS: integer('CALLBACK_DEADLINE_MS', 100, 60_000, DEFAULTS.callbackDeadlineMs),
  BODY_TIMEOUT_MS: integer('BODY_TIMEOUT_MS', 50, 60_000, DEFAULTS.bodyTimeoutMs),
  MAX_JSON_DEPTH: integer('MAX_JSON_DEPTH', 4, 1000, DEFAULTS.maxJsonDepth),
  MAX_JSON_ARRAY_LENGTH: integer('MAX_JSON_ARRAY_LENGTH', 10, 10_000_000, DEFAULTS.maxJsonArrayLength),
  MAX_HEADER_BYTES: integer('MAX_HEADER_BYTES', 1024, 1024 * 1024, DEFAULTS.maxHeaderBytes),
  MAX_CONNECTIONS: integer('MAX_CONNECTIONS', 1, 1_000_000, DEFAULTS.maxConnections),
  MAX_CONNECTIONS_PER_ADDRESS: integer('MAX_CONNECTIONS_PER_ADDRESS', 1, 1_000_000, DEFAULTS.maxConnectionsPerAddress),
  LOG_LEVEL: z
    .string()
    .optional()
    .transform((raw, ctx) => {
      const level = (raw || 'info').toLowerCase()
      if (!(LOG_LEVELS as readonly string[]).includes(level)) {
        ctx.addIssue({
          code: 'custom',
          message: `LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(raw)}`,
        })
        return z.NEVER
      }
      return level as (typeof LOG_LEVELS)[number]
    }),
  DATABASE_URL: z
    .string()
    .optional()
    .transform((raw, ctx) => {
      if (!raw) return undefined
      try {
        describeDatabaseUrl(raw)
      } catch (error) {
        if (!(error instanceof DatabaseUrlError)) throw error
        ctx.addIssue({ code: 'custom', message: error.message })
        return z.NEVER
      }
      return raw
    }),
  API_TOKEN: optionalSecret('API_TOKEN'),
  IM_ADMIN_IDENTIFIER: optionalSecret('IM_ADMIN_IDENTIFIER'),
  IM_SECRET_KEY: optionalSecret('IM_SECRET_KEY'),
  IM_API_BASE: z
    .string()
    .optional()
    .transform((raw, ctx) => {
      if (!raw) return DEFAULTS.imApiBase
      if (!/^https?:\/\/[^/?#\s]+(\/[^?#\s]*)?$/i.test(raw)) {
        ctx.addIssue({
          code: 'custom',
          message: `IM_API_BASE must be an http(s) URL such as ${DEFAULTS.imApiBase}, got ${JSON.stringify(raw.slice(0, 100))}`,
        })
        return z.NEVER
      }
      return raw.replace(/\/+$/, '')
    }),
  RECONCILE_INTERVAL: integer('RECONCILE_INTERVAL', 0, 7 * 86_400, DEFAULTS.reconcileIntervalSeconds),
  IM_API_TIMEOUT_MS: integer('IM_API_TIMEOUT_MS', 100, 60_000, DEFAULTS.imApiTimeoutMs),
  RECONCILE_ALLOW_MASS_DELETE: oneOf('RECONCILE_ALLOW_MASS_DELETE', ['true', 'false'], 'false'),
  CHANGES_HEARTBEAT_MS: integer('CHANGES_HEARTBEAT_MS', 100, 300_000, DEFAULTS.changesHeartbeatMs),
  CHANGES_POLL_MS: integer('CHANGES_POLL_MS', 10, 60_000, DEFAULTS.changesPollMs),
  CHANGES_STALL_MS: integer('CHANGES_STALL_MS', 100, 3_600_000, DEFAULTS.changesStallMs),
  MAX_CHANGE_STREAMS: integer('MAX_CHANGE_STREAMS', 1, 100_000, DEFAULTS.maxChangeStreams),
  EVENT_RETENTION_DAYS: integer('EVENT_RETENTION_DAYS', 0, 36_500, DEFAULTS.eventRetentionDays),
  EVENT_RETENTION_REJECTED: oneOf('EVENT_RETENTION_REJECTED', ['keep', 'prune'], 'keep'),
  EVENT_BODIES: oneOf('EVENT_BODIES', ['handled', 'all'], DEFAULTS.eventBodies),
  // Off by default: on a 2-core machine it cost throughput and RSS (docs/benchmarks.md).
  SQLITE_WRITER_THREAD: oneOf('SQLITE_WRITER_THREAD', ['on', 'off'], 'off'),
})

/**
 * What reconciliation with IM's REST API needs; absent when it is off.
 *
 * @example
 * ```ts
 * const reconcile: ReconcileConfig = { apiBase: 'https://console.tim.qq.com', identifier: 'administrator', secretKey, intervalMs: 3_600_000 }
 * ```
 */
export interface ReconcileConfig {
  apiBase: string
  /** The app admin account (IM_ADMIN_IDENTIFIER). */
  identifier: string
  /** The app's secret key (IM_SECRET_KEY), used only to make the admin's UserSig. */
  secretKey: string
  /** How often the service reconciles; 0: only at startup and after a topic's profile changes. */
  intervalMs: number
  /** How long one call to IM's REST API may take, its answer read whole, before it is tried again. */
  timeoutMs: number
  /** Lets a run delete more than a tenth of the mirror (RECONCILE_ALLOW_MASS_DELETE). */
  allowMassDelete: boolean
}

/**
 * The service's configuration, read once from the environment.
 *
 * @example
 * ```ts
 * const config: Config = loadConfig(process.env)
 * ```
 */
export interface Config {
  port: number
  host: string
  /** This app's SDKAppID: callbacks for any other are refused. */
  sdkAppId: string
  /** Tokens whose `Sign` is accepted, current first; empty when callback authentication is off. */
  callbackTokens: string[]
  requestTimeWindowSeconds: number
  maxBodyBytes: number
  /** How long a callback may take before it is answered 503 (below IM's 2 s timeout). */
  callbackDeadlineMs: number
  /** How long a client may take to send its body before it is cut off (408). */
  bodyTimeoutMs: number
  /** The deepest JSON nesting a callback body may have. */
  maxJsonDepth: number
  /** The longest array a callback body may hold. */
  maxJsonArrayLength: number
  /** The largest request head (Node entry; 431 above it). */
  maxHeaderBytes: number
  /** The most connections open at once (Node entry; more are closed at once). */
  maxConnections: number
  /** The most connections one client address may hold open at once (Node entry; more are closed at once). */
  maxConnectionsPerAddress: number
  logLevel: (typeof LOG_LEVELS)[number]
  /** Unset: the embedded SQLite database in ./data. */
  databaseUrl: string | undefined
  /** The read API's bearer token; unset, the read API refuses every request. */
  apiToken: string | undefined
  /** Reconciliation with IM's REST API; undefined (off) without IM_ADMIN_IDENTIFIER and IM_SECRET_KEY. */
  reconcile: ReconcileConfig | undefined
  /** How long a change stream may stay silent before it sends a heartbeat comment. */
  changesHeartbeatMs: number
  /** How often open change streams check the database for changes nobody announced. */
  changesPollMs: number
  /** How long a change stream's client may leave what was sent unread before it is dropped. */
  changesStallMs: number
  /** How many change streams one replica serves at once; past it, 503. */
  maxChangeStreams: number
  /**
   * Events older than this many days are deleted from the event log (0: kept for ever), except
   * rejected events that `replay` has not resolved, unless `pruneRejected`.
   */
  eventRetentionDays: number
  /** Whether pruning also deletes old rejected events that were never replayed (EVENT_RETENTION_REJECTED=prune). */
  pruneRejected: boolean
  /**
   * `handled`: the event log keeps the raw body of the commands this service acts on and of every
   * rejected callback, and only the metadata (command, query, size, outcome) of the others. `all`: every body.
   */
  eventBodies: 'handled' | 'all'
  /** SQLite: whether callbacks are committed on a thread of their own (SQLITE_WRITER_THREAD). */
  sqliteWriterThread: boolean
}

/**
 * Thrown when the environment does not make a valid configuration; its message names every bad
 * variable and what is wrong with it.
 *
 * @example
 * ```ts
 * try { loadConfig({}) } catch (error) { if (error instanceof ConfigError) console.error(error.message) }
 * ```
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError'
}

/**
 * Reads the configuration from an environment (`process.env`, `Deno.env.toObject()`), once, at startup.
 * The only place in the service that knows the variables' names.
 *
 * @example
 * ```ts
 * const config = loadConfig({ IM_SDKAPPID: '1400000000', IM_CALLBACK_TOKEN: 'secret' })
 * config.port // 8080
 * ```
 */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const parsed = Environment.safeParse(env)
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `- ${issue.message}`)
    throw new ConfigError(`The configuration is invalid:\n${problems.join('\n')}`)
  }
  const e = parsed.data
  if ((e.IM_ADMIN_IDENTIFIER === undefined) !== (e.IM_SECRET_KEY === undefined)) {
    const [set, missing] =
      e.IM_ADMIN_IDENTIFIER === undefined
        ? ['IM_SECRET_KEY', 'IM_ADMIN_IDENTIFIER']
        : ['IM_ADMIN_IDENTIFIER', 'IM_SECRET_KEY']
    throw new ConfigError(
      `The configuration is invalid:\n- ${set} is set but ${missing} is not; reconciliation with IM's REST API needs both`,
    )
  }
  if (e.IM_CALLBACK_TOKEN_PREVIOUS !== undefined && e.IM_CALLBACK_TOKEN === undefined) {
    throw new ConfigError(
      'The configuration is invalid:\n- IM_CALLBACK_TOKEN_PREVIOUS is set but IM_CALLBACK_TOKEN is not; set the current token too',
    )
  }
  return {
    port: e.PORT,
    host: e.HOST,
    sdkAppId: e.IM_SDKAPPID,
    callbackTokens: [e.IM_CALLBACK_TOKEN, e.IM_CALLBACK_TOKEN_PREVIOUS].filter((t): t is string => t !== undefined),
    requestTimeWindowSeconds: e.IM_REQUEST_TIME_WINDOW,
    maxBodyBytes: e.MAX_BODY_BYTES,
    callbackDeadlineMs: e.CALLBACK_DEADLINE_MS,
    bodyTimeoutMs: e.BODY_TIMEOUT_MS,
    maxJsonDepth: e.MAX_JSON_DEPTH,
    maxJsonArrayLength: e.MAX_JSON_ARRAY_LENGTH,
    maxHeaderBytes: e.MAX_HEADER_BYTES,
    maxConnections: e.MAX_CONNECTIONS,
    maxConnectionsPerAddress: e.MAX_CONNECTIONS_PER_ADDRESS,
    logLevel: e.LOG_LEVEL,
    databaseUrl: e.DATABASE_URL,
    apiToken: e.API_TOKEN,
    reconcile:
      e.IM_ADMIN_IDENTIFIER === undefined || e.IM_SECRET_KEY === undefined
        ? undefined
        : {
            apiBase: e.IM_API_BASE,
            identifier: e.IM_ADMIN_IDENTIFIER,
            secretKey: e.IM_SECRET_KEY,
            intervalMs: e.RECONCILE_INTERVAL * 1000,
            timeoutMs: e.IM_API_TIMEOUT_MS,
            allowMassDelete: e.RECONCILE_ALLOW_MASS_DELETE === 'true',
          },
    changesHeartbeatMs: e.CHANGES_HEARTBEAT_MS,
    changesPollMs: e.CHANGES_POLL_MS,
    changesStallMs: e.CHANGES_STALL_MS,
    maxChangeStreams: e.MAX_CHANGE_STREAMS,
    eventRetentionDays: e.EVENT_RETENTION_DAYS,
    pruneRejected: e.EVENT_RETENTION_REJECTED === 'prune',
    eventBodies: e.EVENT_BODIES,
    sqliteWriterThread: e.SQLITE_WRITER_THREAD === 'on',
  }
}

/**
 * The database URL alone, for commands that need nothing else (`migrate`, `replay`), checked as
 * {@link loadConfig} checks it: a scheme other than PostgreSQL's or SQLite's throws a `ConfigError`.
 *
 * @example
 * ```ts
 * loadDatabaseUrl(process.env) // undefined: the embedded SQLite database
 * ```
 */
export function loadDatabaseUrl(env: Record<string, string | undefined>): string | undefined {
  const parsed = Environment.shape.DATABASE_URL.safeParse(env.DATABASE_URL)
  if (!parsed.success)
    throw new ConfigError(`The configuration is invalid:\n- ${parsed.error.issues.map((i) => i.message).join('\n- ')}`)
  return parsed.data
}

/**
 * Defaults for `send` from the environment the service itself uses, so that `send` signs as the
 * service expects without repeating them.
 *
 * @example
 * ```ts
 * loadSendDefaults(process.env) // { sdkAppId: '1400000000', token: 'secret', port: 8080 }
 * ```
 */
export function loadSendDefaults(env: Record<string, string | undefined>): {
  sdkAppId?: string
  token?: string
  port: number
} {
  const port = Number(env.PORT)
  return {
    ...(env.IM_SDKAPPID ? { sdkAppId: env.IM_SDKAPPID } : {}),
    ...(env.IM_CALLBACK_TOKEN ? { token: env.IM_CALLBACK_TOKEN } : {}),
    port: Number.isInteger(port) && port > 0 ? port : DEFAULTS.port,
  }
}

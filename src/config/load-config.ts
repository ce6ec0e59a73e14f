import { DEFAULTS, Environment, type LOG_LEVELS } from './environment.ts'

export { DEFAULTS } from './environment.ts'

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
  /** Webhook subscriptions' delivery. */
  webhooks: WebhookConfig
}

/**
 * How webhook deliveries go.
 *
 * @example
 * ```ts
 * const webhooks: WebhookConfig = { timeoutMs: 10_000, retrySchedule: [5, 300], allowPrivateUrls: false, secretGraceSeconds: 86_400 }
 * ```
 */
export interface WebhookConfig {
  /** How long an endpoint may take to answer a delivery (WEBHOOK_TIMEOUT_MS). */
  timeoutMs: number
  /** Seconds between attempts at one change; after the last, the subscription is disabled. */
  retrySchedule: number[]
  /** Whether URLs on loopback, private, link-local and unique-local addresses are allowed. */
  allowPrivateUrls: boolean
  /** How long a rotated-out secret still signs deliveries beside the new one. */
  secretGraceSeconds: number
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
    webhooks: {
      timeoutMs: e.WEBHOOK_TIMEOUT_MS,
      retrySchedule: e.WEBHOOK_RETRY_SCHEDULE,
      allowPrivateUrls: e.WEBHOOK_ALLOW_PRIVATE_URLS === 'true',
      secretGraceSeconds: e.WEBHOOK_SECRET_GRACE_SECONDS,
    },
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

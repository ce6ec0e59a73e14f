import { z } from 'zod'
import { DatabaseUrlError, describeDatabaseUrl } from '../store/database-url.ts'

/** The log levels LOG_LEVEL takes. */
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const

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
  webhookTimeoutMs: 10_000,
  webhookRetrySchedule: '5,300,1800,7200,18000,36000,36000',
  webhookSecretGraceSeconds: 86_400,
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

/**
 * A comma-separated list of seconds between a webhook's attempts (fractions to the millisecond): 1 to
 * 20 of them, each at most a week.
 */
const retrySchedule = (name: string, fallback: string) =>
  z
    .string()
    .optional()
    .transform((raw, ctx) => {
      const text = raw === undefined || raw.trim() === '' ? fallback : raw
      const parts = text.split(',').map((part) => part.trim())
      const bad = parts.find((part) => !/^\d{1,6}(\.\d{1,3})?$/.test(part) || Number(part) > 604_800)
      if (bad !== undefined || parts.length > 20) {
        ctx.addIssue({
          code: 'custom',
          message:
            bad !== undefined
              ? `${name} must be seconds between attempts, comma-separated (such as ${fallback}); ${JSON.stringify(bad.slice(0, 20))} is not a number of seconds from 0 to 604800`
              : `${name} may hold at most 20 retries, got ${parts.length}`,
        })
        return z.NEVER
      }
      return parts.map(Number)
    })

/**
 * Every setting the service reads from the environment, each declared once: its variable, its parse
 * and its default. `loadConfig` turns the parsed object into a `Config`.
 */
export const Environment = z.object({
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
  WEBHOOK_TIMEOUT_MS: integer('WEBHOOK_TIMEOUT_MS', 100, 120_000, DEFAULTS.webhookTimeoutMs),
  WEBHOOK_RETRY_SCHEDULE: retrySchedule('WEBHOOK_RETRY_SCHEDULE', DEFAULTS.webhookRetrySchedule),
  WEBHOOK_ALLOW_PRIVATE_URLS: oneOf('WEBHOOK_ALLOW_PRIVATE_URLS', ['true', 'false'], 'false'),
  WEBHOOK_SECRET_GRACE_SECONDS: integer(
    'WEBHOOK_SECRET_GRACE_SECONDS',
    0,
    30 * 86_400,
    DEFAULTS.webhookSecretGraceSeconds,
  ),
})

import { type Hook, OpenAPIHono } from '@hono/zod-openapi'
import type { Context } from 'hono'
import type { AppEnv } from './app-env.ts'
import { createKeyRing, type KeyRing } from './auth/key-ring.ts'
import { createGuard } from './auth/require-scope.ts'
import { type CallbackCore, createCallbackCore, createRequestIds } from './callbacks/callback-core.ts'
import { type ChangeFeed, createChangeFeed } from './changes/create-change-feed.ts'
import { type Config, DEFAULTS } from './config/index.ts'
import { Refusal, refusalAnswer } from './contract/refusal.ts'
import { toResponse } from './http/answers.ts'
import { refusalFor } from './http/refusal-for.ts'
import { createLogger, type Logger } from './log/index.ts'
import { createMetrics, type Metrics } from './metrics/index.ts'
import { type CallbackConfig, type CallbackCoreDeps, registerCallbackRoute } from './routes/callback.ts'
import { registerChanges } from './routes/changes.ts'
import { registerDocs } from './routes/docs.ts'
import { registerHealth } from './routes/health.ts'
import { registerReadApi } from './routes/read-api.ts'
import { registerSubscriptions } from './routes/subscriptions.ts'
import type { Store } from './store/index.ts'

/**
 * The configuration the app reads; {@link loadConfig} makes one from the environment.
 *
 * @example
 * ```ts
 * const config: AppConfig = loadConfig(process.env)
 * ```
 */
export type AppConfig = CallbackConfig &
  Pick<Config, 'apiToken' | 'changesHeartbeatMs' | 'changesStallMs' | 'maxChangeStreams' | 'webhooks'>

/**
 * What {@link createApp} is built from.
 *
 * @example
 * ```ts
 * const deps: AppDeps = { config: { sdkAppId: '1400000000' }, store: await openStore(undefined) }
 * ```
 */
export interface AppDeps {
  /** `sdkAppId` is required; the rest default as in docs/configuration.md (no token: `Sign` is not checked). */
  config: Pick<AppConfig, 'sdkAppId'> & Partial<AppConfig>
  store: Store
  /** The clock, in milliseconds since the epoch. */
  clock?: () => number
  log?: Logger
  /** Where the app counts what it does; pass the same one to `openStore` to count commits too. */
  metrics?: Metrics
  /**
   * Runs once per new topic, after it has committed and before IM is answered. A re-delivery does
   * not run it again. If it throws, IM gets a 500 (the topic stays stored), and a retry by IM is a
   * duplicate that does not run it again: make it idempotent, or let it only enqueue work.
   */
  onTopicCreated?: CallbackCoreDeps['onTopicCreated']
  /**
   * Told a group that only IM's REST API can settle (the service reconciles it): after each committed
   * `Group.CallbackAfterTopicInfoChanged`, and after a create of a topic the mirror has as deleted.
   */
  onTopicInfoChanged?: CallbackCoreDeps['onTopicInfoChanged']
  /**
   * What wakes `GET /changes/stream`; by default one made from `store`. Pass your own to end the
   * open streams with `changeFeed.close()` when you stop (the service's entries do).
   */
  changeFeed?: ChangeFeed
  /**
   * Who may read: `API_TOKEN` and the keys made with `im-topic-sync keys create`; by default one made
   * from `store` and `config.apiToken`. The entries pass their own, which they stop when they stop.
   */
  keyRing?: KeyRing
}

const silent = createLogger({ level: 'silent' })

/** Answers with a refusal and notes it for the log line and the metrics. */
function refuse(c: Context<AppEnv>, refusal: Refusal): Response {
  c.set('refusal', refusal)
  return toResponse(refusalAnswer(refusal))
}

/** Every read API validation failure becomes one FAIL answer that names the parameter. */
const answerInvalidParameters: Hook<unknown, AppEnv, string, unknown> = (result, c) => {
  if (result.success) return
  const problems = result.error.issues.slice(0, 3).map((issue) => {
    const field = issue.path.join('.')
    // Header names are case-insensitive: `Last-Event-ID must…` already names `last-event-id`.
    return issue.message.toLowerCase().startsWith(field.toLowerCase()) ? issue.message : `${field}: ${issue.message}`
  })
  return refuse(c, new Refusal('PARAMETER_INVALID', problems.join('; ')))
}

/** What a secret that is not a non-empty string is, for the message. */
function describeBadSecret(value: unknown): string {
  if (value === '') return 'an empty string'
  return value === undefined || value === null ? String(value) : `a ${typeof value}`
}

/**
 * Library callers pass tokens straight from the environment, where an unset variable is `undefined`
 * and `[process.env.X!]` would make the text "undefined" a valid token: refuse anything but non-empty
 * strings, at construction.
 */
function checkSecrets(config: AppDeps['config']): void {
  const tokens: unknown = config.callbackTokens ?? []
  if (!Array.isArray(tokens)) {
    throw new TypeError(`createApp: config.callbackTokens must be an array of tokens, got ${describeBadSecret(tokens)}`)
  }
  tokens.forEach((token: unknown, i) => {
    if (typeof token !== 'string' || token === '') {
      throw new TypeError(
        `createApp: config.callbackTokens[${i}] is ${describeBadSecret(token)}; each token must be a non-empty string ` +
          '(pass callbackTokens: [] to turn Sign checking off)',
      )
    }
  })
  const apiToken: unknown = config.apiToken
  if (apiToken !== undefined && (typeof apiToken !== 'string' || apiToken === '')) {
    throw new TypeError(
      `createApp: config.apiToken is ${describeBadSecret(apiToken)}; pass a non-empty string, or leave it out to close the read API`,
    )
  }
}

/**
 * Builds the service: `POST /callback`, the read API, health, the contract and its docs. Everything
 * it depends on comes in through `deps`; it reads no environment and opens nothing itself, so the same
 * app runs on Node, on Deno, in tests, and mounted inside another Hono app.
 *
 * @example
 * ```ts
 * const store = await openStore(undefined)
 * const app = createApp({ config: loadConfig(process.env), store })
 * const res = await app.request('/healthz')
 * ```
 */
export function createApp(deps: AppDeps): OpenAPIHono<AppEnv> {
  return assembleApp(deps).app
}

/**
 * The app, and the callback path it answers `POST /callback` with. The Node entry answers
 * `POST /callback` with that same path directly, without Hono's routing and context (it is the
 * service's hot path: a fifth less CPU per callback on Node), and everything else with the app.
 *
 * @example
 * ```ts
 * const { app, callbacks } = assembleApp({ config, store })
 * const reply = await callbacks.handle({ url: '/callback?…', readBody: async () => bytes })
 * ```
 */
export function assembleApp({
  config: given,
  store,
  clock = Date.now,
  log = silent,
  metrics = createMetrics(),
  onTopicCreated,
  onTopicInfoChanged,
  changeFeed,
  keyRing,
}: AppDeps): { app: OpenAPIHono<AppEnv>; callbacks: CallbackCore } {
  if (!given?.sdkAppId) throw new TypeError("createApp: config.sdkAppId is required (your IM app's SDKAppID)")
  if (!store) throw new TypeError('createApp: store is required (see openStore)')
  checkSecrets(given)
  const config: AppConfig = {
    callbackTokens: [],
    requestTimeWindowSeconds: DEFAULTS.requestTimeWindowSeconds,
    maxBodyBytes: DEFAULTS.maxBodyBytes,
    callbackDeadlineMs: DEFAULTS.callbackDeadlineMs,
    bodyTimeoutMs: DEFAULTS.bodyTimeoutMs,
    maxJsonDepth: DEFAULTS.maxJsonDepth,
    maxJsonArrayLength: DEFAULTS.maxJsonArrayLength,
    apiToken: undefined,
    changesHeartbeatMs: DEFAULTS.changesHeartbeatMs,
    changesStallMs: DEFAULTS.changesStallMs,
    maxChangeStreams: DEFAULTS.maxChangeStreams,
    eventBodies: DEFAULTS.eventBodies,
    webhooks: {
      timeoutMs: DEFAULTS.webhookTimeoutMs,
      retrySchedule: DEFAULTS.webhookRetrySchedule.split(',').map(Number),
      allowPrivateUrls: false,
      secretGraceSeconds: DEFAULTS.webhookSecretGraceSeconds,
    },
    ...given,
  }
  const app = new OpenAPIHono<AppEnv>({ defaultHook: answerInvalidParameters })

  const requestIds = createRequestIds()
  app.use(async function requestId(c, next) {
    c.set('requestId', requestIds.next())
    await next()
    const refusal = c.get('refusal')
    if (refusal) metrics.refusal(refusal.kind.toLowerCase())
  })

  app.onError((error, c) => {
    const where = { requestId: c.get('requestId'), method: c.req.method, path: c.req.path.slice(0, 200) }
    // Callbacks answer their own failures (the callback core); what reaches here is a read.
    const unavailable = 'The database is unavailable, so nothing can be read now; try again in a few seconds.'
    return refuse(c, refusalFor(error, where, { log, deadlineMs: config.callbackDeadlineMs, unavailable }))
  })

  app.notFound((c) =>
    refuse(c, new Refusal('NOT_FOUND', `No route ${c.req.method} ${c.req.path.slice(0, 200)}; see /docs`)),
  )

  const callbacks = createCallbackCore({
    config,
    store,
    clock,
    log,
    metrics,
    onTopicCreated,
    onTopicInfoChanged,
    requestIds,
  })
  registerCallbackRoute(app, callbacks)
  const ring = keyRing ?? createKeyRing({ store, apiToken: config.apiToken, log })
  const guard = createGuard({ ring, log, metrics })
  registerReadApi(app, { store, guard, metrics })
  registerChanges(app, {
    store,
    feed: changeFeed ?? createChangeFeed({ store, maxStreams: config.maxChangeStreams, log }),
    guard,
    ring,
    heartbeatMs: config.changesHeartbeatMs,
    stallMs: config.changesStallMs,
    log,
  })
  registerSubscriptions(app, { store, guard, webhooks: config.webhooks, clock })
  registerHealth(app, { store, log })
  registerDocs(app)
  return { app, callbacks }
}

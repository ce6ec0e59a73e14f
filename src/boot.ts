import type { OpenAPIHono } from '@hono/zod-openapi'
import { assembleApp } from './app.ts'
import type { AppEnv } from './app-env.ts'
import { createKeyRing, type KeyRing } from './auth/key-ring.ts'
import type { CallbackCore } from './callbacks/callback-core.ts'
import { type ChangeFeed, createChangeFeed } from './changes/create-change-feed.ts'
import { type Config, ConfigError, loadConfig } from './config/index.ts'
import { createLogger, describeError, type Logger } from './log/index.ts'
import { createMetrics } from './metrics/index.ts'
import { createImRestClient, createReconciler, type Reconciler } from './reconcile/index.ts'
import { createEventPruner, type EventPruner } from './retention/index.ts'
import { openStore, type Store, StoreOpenError } from './store/index.ts'
import { createWebhookDispatcher, type WebhookDispatcher } from './webhooks/create-dispatcher.ts'

/** A service ready to be served by a runtime. */
export interface Booted {
  app: OpenAPIHono<AppEnv>
  /** The app's callback path, which the Node entry runs for `POST /callback` without going through Hono. */
  callbacks: CallbackCore
  config: Config
  store: Store
  log: Logger
  /** Reconciliation with IM's REST API; undefined when its credentials are not set. */
  reconciler: Reconciler | undefined
  /** What wakes the change streams; the entries close it first when they stop, which ends the streams. */
  changeFeed: ChangeFeed
  /** Event log retention; undefined when EVENT_RETENTION_DAYS is 0 (events are kept for ever). */
  pruner: EventPruner | undefined
  /** The read API's keys; the entries stop it when they stop, which records the keys' last use. */
  keyRing: KeyRing
  /** Delivers the change feed to webhook subscriptions (one replica at a time); the entries start and stop it. */
  webhooks: WebhookDispatcher
}

/**
 * Everything the Node and Deno entries share: read the configuration from `env`, open and migrate the
 * store, build the app. Throws a `ConfigError` that names the bad variable.
 *
 * @example
 * ```ts
 * const { app, config, store, log } = await boot(process.env)
 * ```
 */
export async function boot(env: Record<string, string | undefined>): Promise<Booted> {
  const config = loadConfig(env)
  const log = createLogger({ level: config.logLevel })
  const metrics = createMetrics()
  const store = await openStore(config.databaseUrl, {
    onPoolError: (error) => log.warn('database connection lost', describeError(error)),
    onWarning: (message) => log.warn('database', { problem: message }),
    observer: metrics,
  })
  const reconciler =
    config.reconcile &&
    createReconciler({
      store,
      log,
      intervalMs: config.reconcile.intervalMs,
      allowMassDelete: config.reconcile.allowMassDelete,
      client: createImRestClient({ ...config.reconcile, sdkAppId: config.sdkAppId }),
    })
  const pruner =
    config.eventRetentionDays > 0
      ? createEventPruner({
          store,
          log,
          retentionDays: config.eventRetentionDays,
          pruneRejected: config.pruneRejected,
          onPruned: (count) => metrics.eventsPruned(count),
        })
      : undefined
  const changeFeed = createChangeFeed({
    store,
    pollMs: config.changesPollMs,
    maxStreams: config.maxChangeStreams,
    log,
  })
  const keyRing = createKeyRing({ store, apiToken: config.apiToken, log })
  const webhooks = createWebhookDispatcher({
    store,
    log,
    metrics,
    config: config.webhooks,
    pollMs: Math.min(config.changesPollMs, 1000),
  })
  const { app, callbacks } = assembleApp({
    keyRing,
    config,
    store,
    log,
    metrics,
    changeFeed,
    onTopicInfoChanged: reconciler && ((groupId) => reconciler.requestGroup(groupId)),
  })
  return { app, callbacks, config, store, log, reconciler, changeFeed, pruner, keyRing, webhooks }
}

/**
 * The URL at which this machine reaches a service listening on `host`: a wildcard address is shown
 * as the loopback one, which is the address that works from here.
 *
 * @example
 * ```ts
 * serviceUrl('0.0.0.0', 8080) // 'http://127.0.0.1:8080'
 * ```
 */
export function serviceUrl(host: string, port: number): string {
  return `http://${hostAndPort(host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host, port)}`
}

/** `host:port`, with an IPv6 address in brackets. */
function hostAndPort(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`
}

/**
 * The startup line: runtime, the service's URL and its API reference's, the store, and whether `Sign`
 * is enforced; then a warning for each thing left open or closed by a missing variable. On a terminal,
 * also two lines for the person who just typed `npm start`.
 *
 * @example
 * ```ts
 * logStartup(booted, 'node 20.19.0', 8080, { terminal: process.stdout.isTTY === true })
 * ```
 */
export function logStartup(
  { config, store, log }: Pick<Booted, 'config' | 'store' | 'log'>,
  runtime: string,
  port: number,
  { terminal = false } = {},
): void {
  const url = serviceUrl(config.host, port)
  log.info('listening', {
    runtime,
    host: config.host,
    port,
    url,
    docs: `${url}/docs`,
    store: store.kind,
    signEnforced: config.callbackTokens.length > 0,
    previousTokenAccepted: config.callbackTokens.length > 1,
    readApi: config.apiToken !== undefined,
    reconcile:
      config.reconcile === undefined
        ? 'off'
        : { apiBase: config.reconcile.apiBase, everySeconds: config.reconcile.intervalMs / 1000 },
    events: {
      retentionDays: config.eventRetentionDays === 0 ? 'for ever' : config.eventRetentionDays,
      rejected: config.pruneRejected ? 'pruned' : 'kept',
      bodies: config.eventBodies,
    },
  })
  if (config.callbackTokens.length === 0) {
    log.warn(
      'IM_CALLBACK_TOKEN is not set: callbacks are checked by SdkAppid only, so anyone who knows it can post them',
    )
  }
  if (config.apiToken === undefined) {
    log.warn(
      'API_TOKEN is not set: the read API (/topics, /changes, /events) and /metrics accept only keys made with `im-topic-sync keys create`',
    )
  }
  if (config.reconcile === undefined) {
    log.warn(
      "IM_ADMIN_IDENTIFIER and IM_SECRET_KEY are not set: reconciliation with IM's REST API is off, so a callback IM never retries " +
        '(sent while the service was down, or answered 503) is missing from the mirror for good, and topic profile changes are not applied',
    )
  }
  if (terminal) {
    log.flush()
    console.error(
      `\nim-topic-sync is listening on ${url} (callbacks: POST ${url}/callback)\nAPI reference: ${url}/docs\n`,
    )
  }
}

/**
 * Thrown when the service cannot start for a reason outside the configuration's values, such as a
 * port in use; its message is the one line the entries print before exiting 1.
 *
 * @example
 * ```ts
 * throw new StartupError('Cannot listen on 127.0.0.1:8080: the address is already in use')
 * ```
 */
export class StartupError extends Error {
  override readonly name = 'StartupError'
}

/**
 * Turns a failed listen, as Node (`EADDRINUSE`) or Deno (`AddrInUse`) reports it, into a
 * {@link StartupError} that says what to do about it.
 *
 * @example
 * ```ts
 * server.once('error', (error) => reject(listenError(error, config.host, config.port)))
 * ```
 */
export function listenError(error: unknown, host: string, port: number): StartupError {
  const where = hostAndPort(host, port)
  const { code, name, message } = (error ?? {}) as { code?: unknown; name?: unknown; message?: unknown }
  const kind = String(code ?? name ?? '')
  const why =
    kind === 'EADDRINUSE' || kind === 'AddrInUse'
      ? 'the address is already in use; stop what holds it, or set PORT to another port'
      : kind === 'EACCES' || kind === 'PermissionDenied'
        ? 'permission denied; ports below 1024 need privileges, so set PORT to 1024 or above'
        : kind === 'EADDRNOTAVAIL' || kind === 'AddrNotAvailable'
          ? 'HOST is not an address of this machine; set HOST to one of its addresses, or 0.0.0.0'
          : String(message ?? error)
  return new StartupError(`Cannot listen on ${where}: ${why} (${kind || 'error'})`, { cause: error })
}

/**
 * What the entries print when startup fails: the message alone for a bad configuration, a database
 * that cannot be opened or a failed listen, which say what to do; a JSON error line for anything unexpected.
 *
 * @example
 * ```ts
 * main().catch((error) => { console.error(startupFailure(error)); process.exit(1) })
 * ```
 */
export function startupFailure(error: unknown): string {
  if (error instanceof ConfigError || error instanceof StartupError || error instanceof StoreOpenError)
    return error.message
  return JSON.stringify({ level: 'error', msg: 'startup failed', ...describeError(error) })
}

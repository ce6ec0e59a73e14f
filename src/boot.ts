import { createApp } from './app.ts'
import { loadConfig, type Config } from './config/index.ts'
import { createLogger, describeError, type Logger } from './log/index.ts'
import { openStore, type Store } from './store/index.ts'
import { createMetrics } from './metrics/index.ts'
import type { OpenAPIHono } from '@hono/zod-openapi'
import type { AppEnv } from './app.ts'

/** A service ready to be served by a runtime. */
export interface Booted {
  app: OpenAPIHono<AppEnv>
  config: Config
  store: Store
  log: Logger
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
    observer: metrics,
  })
  const app = createApp({ config, store, log, metrics })
  return { app, config, store, log }
}

/**
 * The one startup line: runtime, address, store, and whether `Sign` is enforced.
 *
 * @example
 * ```ts
 * logStartup(booted, 'node 20.19.0', 8080)
 * ```
 */
export function logStartup({ config, store, log }: Booted, runtime: string, port: number): void {
  log.info('listening', {
    runtime,
    host: config.host,
    port,
    store: store.kind,
    signEnforced: config.callbackTokens.length > 0,
    previousTokenAccepted: config.callbackTokens.length > 1,
    readApi: config.apiToken !== undefined,
  })
  if (config.callbackTokens.length === 0) {
    log.warn('IM_CALLBACK_TOKEN is not set: callbacks are checked by SdkAppid only, so anyone who knows it can post them')
  }
}

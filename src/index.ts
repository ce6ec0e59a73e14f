/**
 * im-topic-sync as a library: build the service with {@link createApp} and mount it in your own Hono
 * app, verify and sign callbacks in your own code and tests, open the stores.
 *
 * @example
 * ```ts
 * import { Hono } from 'hono'
 * import { createApp, openStore } from 'im-topic-sync'
 *
 * const token = process.env.IM_CALLBACK_TOKEN
 * if (!token) throw new Error('Set IM_CALLBACK_TOKEN to the callback token of the IM console')
 * const store = await openStore(process.env.DATABASE_URL)
 * const im = createApp({
 *   config: { sdkAppId: '1400000000', callbackTokens: [token] },
 *   store,
 *   onTopicCreated: async ({ topic }) => console.log('new topic', topic.TopicId),
 * })
 * const app = new Hono().route('/im', im) // IM's callback URL: https://your.host/im/callback
 * ```
 * @module
 */
export { type AppConfig, type AppDeps, createApp } from './app.ts'
export type { AppEnv } from './app-env.ts'
export { type ChangeFeed, type ChangeFeedOptions, createChangeFeed } from './changes/create-change-feed.ts'
export { type ReplayChange, type ReplayReport, replayRejected } from './cli/replay.ts'
export { type SendOptions, type SendResult, sampleBody, sendCallback } from './cli/send.ts'
export { type Config, ConfigError, DEFAULTS, loadConfig } from './config/index.ts'
export {
  CallbackAfterCreateTopic,
  CallbackAfterTopicDestroyed,
  CallbackAnswer,
  CallbackBody,
  type ErrorKind,
  errorCodes,
  type Generated,
  OtherCallback,
  Refusal,
} from './contract/index.ts'
export { createLogger, type Logger, type LoggerOptions, type LogLevel } from './log/index.ts'
export { createMetrics, type Metrics } from './metrics/index.ts'
export {
  createImRestClient,
  createReconciler,
  describeChange,
  ImApiError,
  type ImRestClient,
  type ImRestClientOptions,
  type ImTopic,
  MASS_DELETE,
  MassDeleteRefused,
  makeUserSig,
  type ReconcileOptions,
  type ReconcileReport,
  type Reconciler,
  type ReconcilerOptions,
  reconcileMirror,
} from './reconcile/index.ts'
export type { TopicCreatedEvent } from './routes/callback.ts'
export {
  DatabaseUrlError,
  describeDatabaseUrl,
  type Effect,
  type MirrorChange,
  type NewTopic,
  openPostgresStore,
  openSqliteStore,
  openStore,
  type PostgresStoreOptions,
  type Store,
  StoreError,
  type StoreKind,
  StoreOpenError,
  type TopicProfile,
} from './store/index.ts'
export { type CallbackCredentials, sign, type VerifyCallbackOptions, verifyCallback } from './verify/index.ts'
export {
  createWebhookDispatcher,
  type WebhookDispatcher,
  type WebhookDispatcherOptions,
} from './webhooks/create-dispatcher.ts'

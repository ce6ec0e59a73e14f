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
export { createApp, type AppConfig, type AppDeps, type AppEnv } from './app.ts'
export { createChangeFeed, type ChangeFeed, type ChangeFeedOptions } from './changes/create-change-feed.ts'
export type { TopicCreatedEvent } from './routes/callback.ts'
export { ConfigError, DEFAULTS, loadConfig, type Config } from './config/index.ts'
export { sign, verifyCallback, type CallbackCredentials, type VerifyCallbackOptions } from './verify/index.ts'
export { sampleBody, sendCallback, type SendOptions, type SendResult } from './cli/send.ts'
export { replayRejected, type ReplayChange, type ReplayReport } from './cli/replay.ts'
export {
  DatabaseUrlError,
  describeDatabaseUrl,
  openPostgresStore,
  openSqliteStore,
  openStore,
  StoreError,
  type Effect,
  type MirrorChange,
  type TopicProfile,
  type NewTopic,
  type PostgresStoreOptions,
  type Store,
  type StoreKind,
} from './store/index.ts'
export { createLogger, type Logger, type LoggerOptions, type LogLevel } from './log/index.ts'
export {
  createImRestClient,
  createReconciler,
  describeChange,
  ImApiError,
  makeUserSig,
  reconcileMirror,
  type ImRestClient,
  type ImRestClientOptions,
  type ImTopic,
  type Reconciler,
  type ReconcilerOptions,
  type ReconcileOptions,
  type ReconcileReport,
} from './reconcile/index.ts'
export {
  CallbackAfterCreateTopic,
  CallbackAfterTopicDestroyed,
  CallbackAnswer,
  CallbackBody,
  errorCodes,
  OtherCallback,
  Refusal,
  type ErrorKind,
  type Generated,
} from './contract/index.ts'

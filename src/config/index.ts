/**
 * The service's configuration: the only module that knows the environment variables.
 * @module
 */
export {
  type Config,
  ConfigError,
  DEFAULTS,
  loadConfig,
  loadDatabaseUrl,
  loadSendDefaults,
  type ReconcileConfig,
  type WebhookConfig,
} from './load-config.ts'

/**
 * The service's configuration: the only module that knows the environment variables.
 * @module
 */
export { ConfigError, DEFAULTS, loadConfig, loadDatabaseUrl, loadSendDefaults, type Config, type ReconcileConfig } from './load-config.ts'

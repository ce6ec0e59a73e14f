/**
 * Structured JSON logs.
 * @module
 */
export {
  createLogger,
  describeError,
  type LogFields,
  type Logger,
  type LoggerOptions,
  type LogLevel,
} from './create-logger.ts'

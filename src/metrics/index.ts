/**
 * Prometheus metrics, with no dependencies.
 * @module
 */
export { createMetrics, type Metrics } from './create-metrics.ts'

/**
 * One handler per callback command, and the interpretation of a raw callback that the route and
 * `replay` share.
 * @module
 */

export { checkJsonShape, type JsonLimits } from './check-json-shape.ts'
export { handlers, type Interpretation, interpretCallback } from './interpret-callback.ts'
export type { CallbackHandler } from './types.ts'

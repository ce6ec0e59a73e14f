/**
 * Event log retention: old events are pruned in small steps while callbacks flow.
 * @module
 */
export {
  createEventPruner,
  type EventPruner,
  type EventPrunerOptions,
  type PruneReport,
} from './create-event-pruner.ts'

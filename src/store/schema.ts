import type { Generated } from 'kysely'

/**
 * The tables, as the query layer sees them. They are part of the service's contract: the README
 * documents them for teams that read the database directly.
 */
export interface Database {
  topics: TopicsTable
  callback_events: CallbackEventsTable
}

export interface TopicsTable {
  /** Insertion order; the read API pages by it. */
  seq: Generated<number | string>
  topic_id: string
  group_id: string
  name: string
  type: string
  owner_account: string
  operator_account: string
  /** JSON text of `UserDefinedDataList`, in order, or null when IM sent none. */
  user_defined_data: string | null
  client_ip: string | null
  opt_platform: string | null
  /** RFC 3339 text on SQLite, timestamptz on PostgreSQL. */
  received_at: string | Date
  deleted_at: string | Date | null
}

export interface CallbackEventsTable {
  id: Generated<number | string>
  received_at: string | Date
  command: string
  /** JSON text of the query parameters, except `Sign`. */
  query: string
  /** The raw body, byte for byte (read back as an ArrayBuffer from libsql, a Buffer from pg). */
  body: Uint8Array | ArrayBuffer
  outcome: 'stored' | 'duplicate' | 'ignored' | 'rejected'
  reason: string | null
  replayed_at: string | Date | null
}

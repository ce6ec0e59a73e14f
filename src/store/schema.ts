import type { Generated } from 'kysely'

/**
 * The tables, as the query layer sees them. They are part of the service's contract: docs/operations.md
 * documents them for teams that read the database directly.
 */
export interface Database {
  topics: TopicsTable
  callback_events: CallbackEventsTable
  topic_tombstones: TopicTombstonesTable
  group_tombstones: GroupTombstonesTable
  leases: LeasesTable
  change_counter: ChangeCounterTable
  api_keys: ApiKeysTable
  subscriptions: SubscriptionsTable
  webhook_attempts: WebhookAttemptsTable
}

export interface TopicsTable {
  /** Insertion order; the read API pages by it. */
  seq: Generated<number | string>
  topic_id: string
  group_id: string
  name: string
  type: string
  /** Null for a topic first learnt from IM's REST API, until a callback names it. */
  owner_account: string | null
  operator_account: string | null
  /** JSON text of `UserDefinedDataList`, in order, or null when IM sent none. */
  user_defined_data: string | null
  client_ip: string | null
  opt_platform: string | null
  /** RFC 3339 text on SQLite, timestamptz on PostgreSQL. */
  received_at: string | Date
  deleted_at: string | Date | null
  /** The profile fields of IM's topic profile, null until reconciliation reads them. */
  introduction: string | null
  notification: string | null
  face_url: string | null
  custom_string: string | null
  /** When the row last changed; `received_at` until then. */
  updated_at: string | Date
  /**
   * The position of the topic's latest change in the change feed. Null only inside the transaction
   * that changes the topic, until its last statement numbers it: a committed row always has one.
   */
  position: number | string | null
  /** The position at which the topic was created. */
  created_position: number | string | null
}

/** One row: the last position handed out. Its row lock orders the transactions that change topics. */
export interface ChangeCounterTable {
  id: number
  last: number | string
}

/** A destroy that arrived before its create: the create, when it comes, is stored as deleted. */
export interface TopicTombstonesTable {
  topic_id: string
  group_id: string
  deleted_at: string | Date
}

/** A Community disbanded: a create for one of its topics that arrives later is stored as deleted. */
export interface GroupTombstonesTable {
  group_id: string
  deleted_at: string | Date
}

/** A key of the read API: its id, the hash of its secret (never the secret), its scopes and its life. */
export interface ApiKeysTable {
  id: string
  name: string
  /** Comma-separated scopes, such as `topics:read,changes:read`. */
  scopes: string
  /** Hex HMAC-SHA256 of the secret, keyed by the id. */
  secret_hash: string
  created_at: string | Date
  last_used_at: string | Date | null
  revoked_at: string | Date | null
}

/** Who may run a job that one replica at a time runs (reconciliation), until when. */
export interface LeasesTable {
  name: string
  holder: string
  expires_at_ms: number | string
}

export interface CallbackEventsTable {
  id: Generated<number | string>
  received_at: string | Date
  command: string
  /** JSON text of the query parameters, except `Sign`. */
  query: string
  /** The raw body, byte for byte (read back as an ArrayBuffer from libsql, a Buffer from pg). */
  body: Uint8Array | ArrayBuffer
  /**
   * The size of the body as received; `body` is empty when it was not kept (EVENT_BODIES). Null on
   * events logged before this column existed, which all kept their body.
   */
  body_size: number | string | null
  outcome: 'stored' | 'duplicate' | 'ignored' | 'rejected'
  reason: string | null
  replayed_at: string | Date | null
  /** `callback` for what IM posted, `reconcile` for a change that reconciliation made. */
  source: Generated<'callback' | 'reconcile'>
}

/**
 * A webhook subscription: where the changes of the feed go, which of them, how far they were
 * acknowledged, and where its retries stand. The secrets are kept as given, since each delivery is
 * signed with them.
 */
export interface SubscriptionsTable {
  id: string
  /** The id of the key that made it (`API_TOKEN` for the operator's token). */
  owner_key_id: string
  url: string
  /** JSON array of group IDs, or null for every group. */
  group_ids: string | null
  /** Comma-separated change kinds, or null for every kind. */
  kinds: string | null
  /** `whsec_…`, which signs every delivery. */
  secret: string
  /** The secret before the last rotation, which also signs until `previous_secret_until_ms`. */
  previous_secret: string | null
  previous_secret_until_ms: number | string | null
  status: 'active' | 'disabled'
  disabled_reason: string | null
  /** The last position acknowledged (or filtered out): delivery resumes after it. */
  position: number | string
  /** Failed attempts at the change after `position`, in a row. */
  failures: number | string
  next_attempt_at_ms: number | string | null
  last_error: string | null
  created_at: string | Date
}

/** One attempt at delivering one change to one subscription; the most recent ones are kept. */
export interface WebhookAttemptsTable {
  id: Generated<number | string>
  subscription_id: string
  position: number | string
  webhook_id: string
  at: string | Date
  /** The endpoint's HTTP status, or null when there was none (a timeout, a refused connection). */
  status_code: number | string | null
  error: string | null
  duration_ms: number | string
}

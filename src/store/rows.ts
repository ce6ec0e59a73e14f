import type { Selectable } from 'kysely'
import type { CallbackEvent, Topic, TopicChange } from '../contract/read-api.ts'
import type { CallbackEventsTable, TopicsTable } from './schema.ts'

/** SQLite keeps times as RFC 3339 text, PostgreSQL as timestamptz (a Date through the driver). */
export function toIso(value: string | Date): string {
  return value instanceof Date ? value.toISOString() : new Date(value).toISOString()
}

const utf8 = new TextDecoder()

/** libsql returns a BLOB as an ArrayBuffer, pg a bytea as a Buffer: both become a Uint8Array. */
export function toBytes(value: Uint8Array | ArrayBuffer): Uint8Array {
  return value instanceof Uint8Array ? value : new Uint8Array(value)
}

/** A `topics` row under the callback's own field names. */
export function topicFromRow(row: Selectable<TopicsTable>): Topic {
  return {
    GroupId: row.group_id,
    TopicId: row.topic_id,
    Name: row.name,
    Type: row.type,
    Owner_Account: row.owner_account,
    Operator_Account: row.operator_account,
    UserDefinedDataList: row.user_defined_data === null ? null : JSON.parse(row.user_defined_data),
    ClientIP: row.client_ip,
    OptPlatform: row.opt_platform,
    Introduction: row.introduction,
    Notification: row.notification,
    FaceUrl: row.face_url,
    CustomString: row.custom_string,
    ReceivedAt: toIso(row.received_at),
    UpdatedAt: toIso(row.updated_at),
    DeletedAt: row.deleted_at === null ? null : toIso(row.deleted_at),
  }
}

/** The body of an event, or null when it was not kept (it is shorter than the size recorded). */
function eventBody(row: Selectable<CallbackEventsTable>): { Body: string | null; BodyBytes: number } {
  const bytes = toBytes(row.body)
  const size = row.body_size === null ? bytes.byteLength : Number(row.body_size)
  return { Body: bytes.byteLength === size ? utf8.decode(bytes) : null, BodyBytes: size }
}

/** A `callback_events` row as the read API shows it. */
export function eventFromRow(row: Selectable<CallbackEventsTable>): CallbackEvent {
  return {
    EventId: Number(row.id),
    ReceivedAt: toIso(row.received_at),
    CallbackCommand: row.command,
    Query: JSON.parse(row.query),
    ...eventBody(row),
    Outcome: row.outcome,
    Reason: row.reason,
    Source: row.source,
  }
}

/**
 * A `topics` row as the change feed shows it to a reader whose last position is `after`: deleted if
 * it is, created if it did not exist at `after`, updated otherwise.
 */
export function changeFromRow(row: Selectable<TopicsTable>, after: number): TopicChange {
  const topic = topicFromRow(row)
  return {
    position: Number(row.position),
    kind: topic.DeletedAt !== null ? 'deleted' : Number(row.created_position) > after ? 'created' : 'updated',
    at: topic.UpdatedAt,
    topic,
  }
}

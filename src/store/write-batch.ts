import { type Insertable, sql, type Transaction } from 'kysely'
import { MAX_COMMAND_LENGTH } from '../contract/limits.ts'
import type { EventOutcome } from '../contract/read-api.ts'
import { changedAt } from './change-positions.ts'
import type { Database, TopicsTable } from './schema.ts'
import type { Effect, NewTopic, ReceivedCallback, TopicProfile } from './types.ts'

/** One callback to log, with what it does to the mirror. */
export interface Write {
  callback: ReceivedCallback
  effect: Effect
}

/** Neither PostgreSQL text nor our JSON columns may hold U+0000; the raw body keeps it, as bytes. */
export const noNul = (text: string) => (text.includes('\0') ? text.replaceAll('\0', '\uFFFD') : text)
export const iso = (ms: number) => new Date(ms).toISOString()

/** What an event that does not keep its body stores in its place. */
const NO_BODY = new Uint8Array(0)

/** What one write did: the event's outcome, and why when that needs saying. */
export type Result = { outcome: EventOutcome; reason: string | null }
export const stored: Result = { outcome: 'stored', reason: null }
export const duplicate: Result = { outcome: 'duplicate', reason: null }
/** A second delivery of a topic that reconciliation inserted first, without what only a callback knows. */
export const filledIn: Result = { outcome: 'stored', reason: 'filled in the fields a reconciled topic lacked' }

/** Orders TopicIds as the database's binary collation does. */
export const compareIds = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)

/** The row of a topic a create callback inserts. */
export function topicRow(t: NewTopic, at: string): Insertable<TopicsTable> & { owner_account: string | null } {
  return {
    topic_id: t.TopicId,
    group_id: t.GroupId,
    name: t.Name,
    type: t.Type,
    owner_account: t.Owner_Account,
    operator_account: t.Operator_Account,
    user_defined_data: t.UserDefinedDataList === null ? null : JSON.stringify(t.UserDefinedDataList),
    client_ip: t.ClientIP,
    opt_platform: t.OptPlatform,
    received_at: at,
    updated_at: at,
  }
}

/**
 * An update that marks topics deleted at `at`, only those still live; the caller narrows it with its
 * own `where`.
 */
export function markDeleted(trx: Transaction<Database>, at: string) {
  return trx
    .updateTable('topics')
    .set({ deleted_at: at, ...changedAt(at) })
    .where('deleted_at', 'is', null)
}

/**
 * Topics just inserted whose destroy (or whose group's disbanding) arrived first are stored deleted,
 * at the time the destroy arrived: IM promises no order.
 */
export async function applyTombstones(trx: Transaction<Database>, topicIds: readonly string[]): Promise<void> {
  if (topicIds.length === 0) return
  await trx
    .updateTable('topics')
    .set({
      deleted_at: sql`coalesce(
        (select tt.deleted_at from topic_tombstones tt where tt.topic_id = topics.topic_id),
        (select gt.deleted_at from group_tombstones gt where gt.group_id = topics.group_id))`,
    })
    .where('topic_id', 'in', topicIds)
    .where((eb) =>
      eb.or([
        eb.exists(
          eb.selectFrom('topic_tombstones as tt').select('tt.topic_id').whereRef('tt.topic_id', '=', 'topics.topic_id'),
        ),
        eb.exists(
          eb.selectFrom('group_tombstones as gt').select('gt.group_id').whereRef('gt.group_id', '=', 'topics.group_id'),
        ),
      ]),
    )
    .execute()
}

/**
 * Inserts topics in one statement and tells, for each, whether it is the first delivery: the
 * database, not this process, decides which delivery is first, so replicas race safely. Within the
 * list, the first of two deliveries of one topic is the one stored. A later delivery changes nothing,
 * except on a topic that reconciliation inserted first: the callback fills in what only it knows
 * (owner, operator, custom fields, client), and never undoes a delete.
 */
async function createTopics(
  trx: Transaction<Database>,
  topics: ReadonlyArray<{ topic: NewTopic; at: string }>,
): Promise<Result[]> {
  // Rows go in sorted by TopicId (a stable sort: the first delivery of a topic stays first), and the
  // updates below follow the same order, so that every transaction takes the index's locks in one
  // order and two replicas cannot deadlock.
  const order = topics.map((_, i) => i).sort((a, b) => compareIds(topics[a]!.topic.TopicId, topics[b]!.topic.TopicId))
  const rows = order.map((i) => topicRow(topics[i]!.topic, topics[i]!.at))
  const inserted = await trx
    .insertInto('topics')
    .values(rows)
    .onConflict((oc) => oc.column('topic_id').doNothing())
    .returning('topic_id')
    .execute()
  const fresh = new Set(inserted.map((row) => row.topic_id))
  await applyTombstones(trx, [...fresh])
  const results = new Array<Result>(topics.length)
  for (const [k, i] of order.entries()) {
    const { topic_id, owner_account, operator_account, user_defined_data, client_ip, opt_platform } = rows[k]!
    if (fresh.delete(topic_id)) {
      results[i] = stored
      continue
    }
    const filled = await trx
      .updateTable('topics')
      .set({ owner_account, operator_account, user_defined_data, client_ip, opt_platform, ...changedAt(topics[i]!.at) })
      .where('topic_id', '=', topic_id)
      .where('owner_account', 'is', null)
      .executeTakeFirst()
    results[i] = Number(filled.numUpdatedRows) > 0 ? filledIn : duplicate
  }
  return results
}

/**
 * Marks the listed topics deleted. A topic not known yet gets a tombstone, so that its create, if it
 * arrives later, is stored as deleted.
 */
async function destroyTopics(
  trx: Transaction<Database>,
  groupId: string,
  topicIds: readonly string[],
  at: string,
): Promise<Result> {
  if (topicIds.length === 0) return { outcome: 'ignored', reason: 'TopicIdList is empty' }
  const updated = await markDeleted(trx, at).where('topic_id', 'in', topicIds).executeTakeFirst()
  const known = new Set(
    (await trx.selectFrom('topics').select('topic_id').where('topic_id', 'in', topicIds).execute()).map(
      (r) => r.topic_id,
    ),
  )
  const unknown = [...new Set(topicIds)].filter((id) => !known.has(id))
  if (unknown.length > 0) {
    await trx
      .insertInto('topic_tombstones')
      .values(unknown.sort().map((topic_id) => ({ topic_id, group_id: groupId, deleted_at: at })))
      .onConflict((oc) => oc.column('topic_id').doNothing())
      .execute()
  }
  if (Number(updated.numUpdatedRows) > 0) return stored
  return unknown.length > 0
    ? {
        outcome: 'stored',
        reason: 'the topics are not known yet: kept as tombstones, so a late create is stored as deleted',
      }
    : duplicate
}

/** A Community disbanded: every live topic of it is marked deleted, and later creates land deleted. */
async function destroyGroup(trx: Transaction<Database>, groupId: string, at: string): Promise<Result> {
  const updated = await markDeleted(trx, at).where('group_id', '=', groupId).executeTakeFirst()
  const tombstone = await trx
    .insertInto('group_tombstones')
    .values({ group_id: groupId, deleted_at: at })
    .onConflict((oc) => oc.column('group_id').doNothing())
    .executeTakeFirst()
  const n = Number(updated.numUpdatedRows)
  if (n > 0) return { outcome: 'stored', reason: `${n} topic(s) marked deleted` }
  return Number(tombstone.numInsertedOrUpdatedRows ?? 0n) > 0
    ? { outcome: 'stored', reason: 'no live topic known: kept as a tombstone' }
    : duplicate
}

const PROFILE_COLUMNS = {
  Name: 'name',
  Introduction: 'introduction',
  Notification: 'notification',
  FaceUrl: 'face_url',
  CustomString: 'custom_string',
} as const

/** The columns of a (partial) topic profile, without U+0000 (see {@link noNul}). */
export function profileColumns(
  profile: Partial<TopicProfile>,
): Partial<Pick<TopicsTable, (typeof PROFILE_COLUMNS)[keyof typeof PROFILE_COLUMNS]>> {
  const columns: Record<string, string | null> = {}
  for (const [field, column] of Object.entries(PROFILE_COLUMNS)) {
    const value = profile[field as keyof TopicProfile]
    if (value !== undefined) columns[column] = value === null ? null : noNul(value)
  }
  return columns
}

/** `Group.CallbackAfterTopicInfoChanged`: applied at once when it names its topic. */
async function changeTopicInfo(
  trx: Transaction<Database>,
  topicId: string | undefined,
  profile: Partial<TopicProfile>,
  at: string,
): Promise<Result> {
  if (topicId === undefined)
    return { outcome: 'ignored', reason: 'no TopicId: reconciling the group with IM applies the change' }
  const columns = profileColumns(profile)
  if (Object.keys(columns).length === 0) return { outcome: 'ignored', reason: 'no profile field to change' }
  const updated = await trx
    .updateTable('topics')
    .set({ ...columns, ...changedAt(at) })
    .where('topic_id', '=', topicId)
    .executeTakeFirst()
  return Number(updated.numUpdatedRows) > 0 ? stored : { outcome: 'ignored', reason: 'the topic is not known' }
}

/** What a callback that changes no topic did: ignored (and why, when known) or rejected (and why). */
export function unwrittenResult(effect: Effect & { kind: 'ignore' | 'reject' }): Result {
  return effect.kind === 'ignore'
    ? { outcome: 'ignored', reason: effect.reason ?? null }
    : { outcome: 'rejected', reason: effect.reason }
}

/** Applies one effect on its own (`replay`, and the rarer effects of a batch). */
export async function applyEffect(trx: Transaction<Database>, effect: Effect, at: string): Promise<Result> {
  switch (effect.kind) {
    case 'createTopic':
      return (await createTopics(trx, [{ topic: effect.topic, at }]))[0]!
    case 'destroyTopics':
      return destroyTopics(trx, effect.groupId, effect.topicIds, at)
    case 'destroyGroup':
      return destroyGroup(trx, effect.groupId, at)
    case 'changeTopicInfo':
      return changeTopicInfo(trx, effect.topicId, effect.profile, at)
    case 'ignore':
    case 'reject':
      return unwrittenResult(effect)
  }
}

/**
 * Writes a batch in the caller's transaction: new topics in one insert (and one update that finds
 * the tombstones among them), then the rarer effects in order, then every event in one insert. Three
 * statements for the common batch, whatever its size.
 */
export async function writeBatch(trx: Transaction<Database>, writes: readonly Write[]): Promise<EventOutcome[]> {
  const results = new Array<Result>(writes.length)
  const at = writes.map((w) => iso(w.callback.receivedAt))
  const creates = writes.flatMap((w, i) =>
    w.effect.kind === 'createTopic' ? [{ i, topic: w.effect.topic, at: at[i]! }] : [],
  )
  if (creates.length > 0) {
    const created = await createTopics(trx, creates)
    for (const [k, { i }] of creates.entries()) results[i] = created[k]!
  }
  for (let i = 0; i < writes.length; i++) {
    if (results[i] === undefined) results[i] = await applyEffect(trx, writes[i]!.effect, at[i]!)
  }
  await trx
    .insertInto('callback_events')
    .values(writes.map(({ callback }, i) => eventRow(callback, at[i]!, results[i]!)))
    .execute()
  return results.map((r) => r.outcome)
}

/** The event-log row of one callback, with what it did. */
export function eventRow(callback: ReceivedCallback, at: string, { outcome, reason }: Result) {
  return {
    received_at: at,
    // The full command stays in `query`; the indexed column keeps at most its first 128 characters
    // (a longer one is refused, and logged, as a rejected callback).
    command: noNul(callback.command).slice(0, MAX_COMMAND_LENGTH),
    query: JSON.stringify(callback.query),
    body: callback.keepBody === false ? NO_BODY : callback.body,
    body_size: callback.body.byteLength,
    outcome,
    reason: reason === null ? null : noNul(reason),
  }
}

import type { Transaction } from 'kysely'
import { changedAt } from './change-positions.ts'
import type { Database } from './schema.ts'
import type { MirrorChange } from './types.ts'
import { applyTombstones, iso, markDeleted, noNul, profileColumns } from './write-batch.ts'

/**
 * IM listed this topic, in a group that exists, when it was read at `listedAt`: a tombstone of the
 * topic or of its group from before then is of an earlier life of the same ID (IM allows custom IDs,
 * so a group or a topic can be made again under the one it had), and must not delete this one.
 */
async function clearStaleTombstones(
  trx: Transaction<Database>,
  { groupId, topicId }: { groupId: string; topicId: string },
  listedAt: string,
): Promise<void> {
  await trx.deleteFrom('topic_tombstones').where('topic_id', '=', topicId).where('deleted_at', '<', listedAt).execute()
  await trx.deleteFrom('group_tombstones').where('group_id', '=', groupId).where('deleted_at', '<', listedAt).execute()
}

/** Applies one change; resolves whether it took effect. */
async function applyOne(
  trx: Transaction<Database>,
  change: MirrorChange,
  at: string,
  listedAt: string,
): Promise<boolean> {
  switch (change.kind) {
    case 'insert': {
      await clearStaleTombstones(trx, change, listedAt)
      const inserted = await trx
        .insertInto('topics')
        .values({
          topic_id: change.topicId,
          group_id: change.groupId,
          name: noNul(change.profile.Name),
          type: 'Community',
          owner_account: null,
          operator_account: null,
          user_defined_data: null,
          client_ip: null,
          opt_platform: null,
          ...profileColumns(change.profile),
          received_at: at,
          updated_at: at,
        })
        .onConflict((oc) => oc.column('topic_id').doNothing())
        .returning('topic_id')
        .execute()
      // A destroy callback that arrived after IM's listing was read wins: it is newer.
      await applyTombstones(
        trx,
        inserted.map((r) => r.topic_id),
      )
      return inserted.length > 0
    }
    case 'update': {
      const updated = await trx
        .updateTable('topics')
        .set({ ...profileColumns(change.profile), ...changedAt(at) })
        .where('topic_id', '=', change.topicId)
        .executeTakeFirst()
      return Number(updated.numUpdatedRows) > 0
    }
    case 'revive': {
      await clearStaleTombstones(trx, change, listedAt)
      // Only a deletion that IM's listing already knew of: one recorded after it was read is newer.
      // created_position starts again, so that the feed reports the topic as created.
      const revived = await trx
        .updateTable('topics')
        .set({ ...profileColumns(change.profile), deleted_at: null, created_position: null, ...changedAt(at) })
        .where('topic_id', '=', change.topicId)
        .where('deleted_at', '<', listedAt)
        .executeTakeFirst()
      return Number(revived.numUpdatedRows) > 0
    }
    case 'delete': {
      // Only a topic that nothing changed since IM's listing was read: a create that arrived during
      // the reconciliation is not in that listing, and must not be undone by it.
      const updated = await markDeleted(trx, at)
        .where('topic_id', '=', change.topicId)
        .where('updated_at', '<', listedAt)
        .executeTakeFirst()
      return Number(updated.numUpdatedRows) > 0
    }
  }
}

/**
 * Applies reconciliation's changes in the caller's transaction and logs each one that took effect as
 * an event with source `reconcile`.
 */
export async function applyMirrorChanges(
  trx: Transaction<Database>,
  changes: readonly MirrorChange[],
  nowMs: number,
  listedAtMs: number,
): Promise<MirrorChange[]> {
  const at = iso(nowMs)
  const listedAt = iso(listedAtMs)
  const applied: MirrorChange[] = []
  for (const change of changes) if (await applyOne(trx, change, at, listedAt)) applied.push(change)
  if (applied.length > 0) {
    await trx
      .insertInto('callback_events')
      .values(
        applied.map((change) => ({
          received_at: at,
          command: 'Reconcile',
          query: JSON.stringify({ GroupId: change.groupId, TopicId: change.topicId, Change: change.kind }),
          body: new TextEncoder().encode(JSON.stringify(change.kind === 'delete' ? {} : change.profile)),
          outcome: 'stored' as const,
          reason: noNul(change.reason),
          source: 'reconcile' as const,
        })),
      )
      .execute()
  }
  return applied
}

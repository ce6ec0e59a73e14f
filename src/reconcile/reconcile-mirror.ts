import type { Topic } from '../contract/read-api.ts'
import type { MirrorChange, Store, TopicProfile } from '../store/types.ts'
import type { ImRestClient, ImTopic } from './im-rest-client.ts'

/**
 * What one reconciliation did, or would do with `dryRun`.
 *
 * @example
 * ```ts
 * const report: ReconcileReport = await reconcileMirror({ store, client })
 * for (const f of report.failures) console.error(f)
 * ```
 */
export interface ReconcileReport {
  dryRun: boolean
  /** How many groups were read from IM. */
  groups: number
  /** The changes made (or, with `dryRun`, that a real run would make). */
  changes: MirrorChange[]
  /** What could not be read from IM: nothing was changed for it. */
  failures: string[]
}

/**
 * Options of {@link reconcileMirror}.
 *
 * @example
 * ```ts
 * const options: ReconcileOptions = { store, client, groupId: '@TGS#_@TGS#cQVLVHIM62CJ', dryRun: true }
 * ```
 */
export interface ReconcileOptions {
  store: Store
  client: ImRestClient
  /** Only this group; without it, every Community IM lists, and the groups IM no longer lists. */
  groupId?: string | undefined
  dryRun?: boolean
  now?: () => number
  /** Called before each group, so that the caller can renew its lease (and stop, by throwing). */
  beforeGroup?: () => Promise<void>
}

const PROFILE_FIELDS = ['Name', 'Introduction', 'Notification', 'FaceUrl', 'CustomString'] as const

function profileOf(topic: ImTopic): TopicProfile {
  return {
    Name: topic.Name,
    Introduction: topic.Introduction,
    Notification: topic.Notification,
    FaceUrl: topic.FaceUrl,
    CustomString: topic.CustomString,
  }
}

/** What differs between the mirror's topic and IM's, in words, or undefined when nothing does. */
function difference(mirror: Topic, im: ImTopic): string | undefined {
  const changed = PROFILE_FIELDS.filter((field) => mirror[field] !== im[field])
  return changed.length === 0
    ? undefined
    : `IM's profile differs: ${changed.map((f) => `${f} ${JSON.stringify(mirror[f])} -> ${JSON.stringify(im[f])}`).join(', ')}`
}

/** The changes that bring one group of the mirror to what IM answered for it. */
function planGroup(
  groupId: string,
  mirror: Topic[],
  im: { exists: true; topics: ImTopic[] } | { exists: false },
  goneReason: string,
): MirrorChange[] {
  const live = mirror.filter((t) => t.DeletedAt === null)
  if (!im.exists) return live.map((t) => ({ kind: 'delete', groupId, topicId: t.TopicId, reason: goneReason }))
  const known = new Map(mirror.map((t) => [t.TopicId, t]))
  const listed = new Set(im.topics.map((t) => t.TopicId))
  const changes: MirrorChange[] = []
  for (const topic of im.topics) {
    const mine = known.get(topic.TopicId)
    if (!mine) {
      changes.push({
        kind: 'insert',
        groupId,
        topicId: topic.TopicId,
        profile: profileOf(topic),
        reason: 'IM lists the topic and the mirror lacked it',
      })
      continue
    }
    // A delete is final: a topic the mirror has as deleted is left as it is.
    const differs = mine.DeletedAt === null ? difference(mine, topic) : undefined
    if (differs)
      changes.push({ kind: 'update', groupId, topicId: topic.TopicId, profile: profileOf(topic), reason: differs })
  }
  for (const topic of live) {
    if (!listed.has(topic.TopicId))
      changes.push({
        kind: 'delete',
        groupId,
        topicId: topic.TopicId,
        reason: 'IM no longer lists the topic in its group',
      })
  }
  return changes
}

/**
 * Brings the mirror to what IM's REST API, the source of truth, says: a topic IM has and the mirror
 * lacks is inserted, one whose profile differs is updated, a live one IM no longer lists in its group
 * (read whole) is marked deleted, and, on a full run, every topic of a group IM no longer lists is
 * marked deleted. A group IM could not be read is left as it is, and the report says why; if the list
 * of groups cannot be read, nothing changes and the error is thrown.
 *
 * @example
 * ```ts
 * const report = await reconcileMirror({ store, client, dryRun: true })
 * console.log(`${report.changes.length} change(s) would be made`)
 * ```
 */
export async function reconcileMirror({
  store,
  client,
  groupId,
  dryRun = false,
  now = Date.now,
  beforeGroup,
}: ReconcileOptions): Promise<ReconcileReport> {
  const report: ReconcileReport = { dryRun, groups: 0, changes: [], failures: [] }
  const apply = async (changes: MirrorChange[], listedAt: number) => {
    if (changes.length === 0) return
    report.changes.push(...(dryRun ? changes : await store.applyMirrorChanges(changes, now(), listedAt)))
  }
  const listedAt = now()
  const groups = groupId === undefined ? await client.listCommunityGroupIds() : [groupId]
  for (const group of groups) {
    await beforeGroup?.()
    const readAt = now()
    let im: Awaited<ReturnType<ImRestClient['getTopics']>>
    try {
      im = await client.getTopics(group)
    } catch (error) {
      report.failures.push(error instanceof Error ? error.message : String(error))
      continue
    }
    report.groups++
    await apply(
      planGroup(group, await store.groupTopics(group), im, 'IM says the group does not exist any more'),
      readAt,
    )
  }
  if (groupId === undefined) {
    // Only a whole list of groups can say that a group is gone.
    const listed = new Set(groups)
    for (const gone of (await store.liveGroupIds()).filter((g) => !listed.has(g))) {
      await beforeGroup?.()
      await apply(
        planGroup(gone, await store.groupTopics(gone), { exists: false }, 'IM no longer lists the group'),
        listedAt,
      )
    }
  }
  return report
}

/**
 * One change in words, for the CLI and the log.
 *
 * @example
 * ```ts
 * describeChange({ kind: 'delete', groupId: 'g', topicId: 't', reason: 'IM no longer lists the topic' })
 * // 'deleted t in g: IM no longer lists the topic'
 * ```
 */
export function describeChange(change: MirrorChange): string {
  const verb = { insert: 'created', update: 'updated', delete: 'deleted' }[change.kind]
  return `${verb} ${change.topicId} in ${change.groupId}: ${change.reason}`
}

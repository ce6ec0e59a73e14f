import type { MirrorWrites } from '../store/store.ts'
import type { MirrorChange } from '../store/types.ts'
import type { GroupTopics, ImRestClient } from './im-rest-client.ts'
import { planGroup } from './plan-group.ts'

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
  /** What could not be read from IM, or could not be stored: nothing was changed for it. */
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
  store: MirrorWrites
  client: ImRestClient
  /** Only this group; without it, every Community IM lists, and the groups IM no longer lists. */
  groupId?: string | undefined
  dryRun?: boolean
  /** Lets a run delete more than {@link MASS_DELETE} allows: for when IM really lost that much. */
  allowMassDelete?: boolean | undefined
  now?: () => number
  /** Called before each group, so that the caller can renew its lease (and stop, by throwing). */
  beforeGroup?: () => Promise<void>
  /** Ends the run at once, between groups or inside a call to IM; what was applied stays applied. */
  signal?: AbortSignal | undefined
}

/**
 * How much one run may delete without `allowMassDelete`: a tenth of the mirror's live topics, and
 * never less than `floor` (so that a small mirror can lose a few topics).
 *
 * @example
 * ```ts
 * const limit = Math.max(MASS_DELETE.floor, Math.floor(liveTopics * MASS_DELETE.share))
 * ```
 */
export const MASS_DELETE = { share: 0.1, floor: 10 } as const

/**
 * A run stopped because it would have deleted more of the mirror than {@link MASS_DELETE} allows: a
 * sign that IM's answers, not the topics, went missing. `wouldDelete` are the deletes it held back.
 *
 * @example
 * ```ts
 * try { await reconcileMirror({ store, client }) } catch (e) { if (e instanceof MassDeleteRefused) console.error(e.message) }
 * ```
 */
export class MassDeleteRefused extends Error {
  override readonly name = 'MassDeleteRefused'
  readonly wouldDelete: MirrorChange[]
  readonly report: ReconcileReport
  constructor(message: string, wouldDelete: MirrorChange[], report: ReconcileReport) {
    super(message)
    this.wouldDelete = wouldDelete
    this.report = report
  }
}

/**
 * Brings the mirror to what IM's REST API, the source of truth, says: a topic IM has and the mirror
 * lacks is inserted, one whose profile differs is updated, one IM created again after the mirror's
 * deletion is live again, a live one IM no longer lists in its group (read whole) is marked deleted,
 * and, on a full run, every topic of a group IM no longer lists is marked deleted. Every answer is
 * checked whole before it is used: a group IM could not be read, or answered for malformed, is left as
 * it is, and the report says why; if the list of groups cannot be read, nothing changes and the error
 * is thrown. A run that would delete more than {@link MASS_DELETE} allows stops with
 * {@link MassDeleteRefused} before that delete. Each group is applied in a transaction of its own.
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
  allowMassDelete = false,
  now = Date.now,
  beforeGroup,
  signal,
}: ReconcileOptions): Promise<ReconcileReport> {
  const report: ReconcileReport = { dryRun, groups: 0, changes: [], failures: [] }
  const live = dryRun || allowMassDelete ? 0 : await store.countLiveTopics()
  const limit = Math.max(MASS_DELETE.floor, Math.floor(live * MASS_DELETE.share))
  let deleted = 0
  const apply = async (changes: MirrorChange[], listedAt: number) => {
    if (changes.length === 0) return
    const deletes = changes.filter((change) => change.kind === 'delete')
    if (!dryRun && !allowMassDelete && deleted + deletes.length > limit) {
      const message =
        `reconciliation stopped: it would delete ${deleted + deletes.length} of the mirror's ${live} live topics, ` +
        `over the ${limit} one run may delete (${MASS_DELETE.share * 100} %, at least ${MASS_DELETE.floor}). ` +
        'If IM really lost them, run it again with --allow-mass-delete (RECONCILE_ALLOW_MASS_DELETE=true in the service)'
      throw new MassDeleteRefused(message, deletes, report)
    }
    const applied = dryRun ? changes : await store.applyMirrorChanges(changes, now(), listedAt)
    deleted += applied.filter((change) => change.kind === 'delete').length
    report.changes.push(...applied)
  }
  const before = async () => {
    signal?.throwIfAborted()
    await beforeGroup?.()
  }
  const listedAt = now()
  const groups = groupId === undefined ? await client.listCommunityGroupIds({ signal }) : [groupId]
  for (const group of groups) {
    await before()
    const readAt = now()
    let im: GroupTopics
    try {
      im = await client.getTopics(group, { signal })
    } catch (error) {
      signal?.throwIfAborted()
      report.failures.push(`${error instanceof Error ? error.message : String(error)}; that group was left as it was`)
      continue
    }
    report.groups++
    if (im.exists) {
      for (const { problem } of im.skipped) {
        report.failures.push(
          `IM get_topic for group ${group}: a topic was left as it was, the rest applied: ${problem}`,
        )
      }
    }
    await apply(
      planGroup(group, await store.groupTopics(group), im, 'IM says the group does not exist any more'),
      readAt,
    )
  }
  if (groupId === undefined) {
    // Only a whole list of groups can say that a group is gone.
    const listed = new Set(groups)
    for (const gone of (await store.liveGroupIds()).filter((g) => !listed.has(g))) {
      await before()
      const mirror = await store.groupTopics(gone)
      await apply(planGroup(gone, mirror, { exists: false }, 'IM no longer lists the group'), listedAt)
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
  const verb = { insert: 'created', update: 'updated', delete: 'deleted', revive: 'revived' }[change.kind]
  return `${verb} ${change.topicId} in ${change.groupId}: ${change.reason}`
}

import { z } from '@hono/zod-openapi'
import { idString, textString } from '../contract/limits.ts'
import type { TopicProfile } from '../store/types.ts'
import { ImApiError } from './im-api-error.ts'

// IM's answers are input like any other: each is checked against the shape Tencent documents
// (pages 1047/1614 for get_appid_group_list, 1047/49469 for get_topic) before it may change the
// mirror. A field that is missing, of another type, or a string that no stored row could hold fails
// the answer (or, inside get_topic, only its topic) with a message that names the field.

/**
 * A topic as IM's `get_topic` answers it, checked: the profile the mirror stores, and when IM says it
 * was created (seconds since the epoch), when it says so.
 *
 * @example
 * ```ts
 * const topic: ImTopic = { GroupId: 'g', TopicId: 'g@TOPIC#_1', Name: 'news', Introduction: null, Notification: null, FaceUrl: null, CustomString: null, CreateTime: 1700000000 }
 * ```
 */
export interface ImTopic extends TopicProfile {
  GroupId: string
  TopicId: string
  /** IM's `CreateTime`, in seconds; undefined when the answer leaves it out. */
  CreateTime?: number | undefined
}

/** `ActionStatus` and `ErrorCode` as every answer carries them; anything else is not an answer of IM's. */
export const ImStatus = z.object({
  ActionStatus: z.enum(['OK', 'FAIL'], { error: 'must be "OK" or "FAIL"' }),
  ErrorCode: z.number({ error: 'must be a number' }).int(),
  ErrorInfo: z.string().optional(),
})

const count = z.number({ error: 'must be a number' }).int().nonnegative()

/** One page of `get_appid_group_list`. */
export const GroupListPage = z.object({
  TotalCount: count,
  GroupIdList: z.array(z.object({ GroupId: idString() }), { error: 'must be an array of { GroupId }' }),
  Next: count,
})

/** `get_topic`'s answer, before each topic is checked on its own. */
export const TopicListAnswer = z.object({
  TopicAndSelfInfo: z.array(
    z.object({
      TopicInfo: z.unknown(),
      ErrorCode: z.number({ error: 'must be a number' }).int().optional(),
      ErrorInfo: z.unknown().optional(),
    }),
    { error: 'must be an array of { TopicInfo, ErrorCode }' },
  ),
})

const optionalText = textString().nullish()

/** One `TopicInfo`, with the limits every stored string keeps. */
export const TopicInfo = z.object({
  TopicId: idString(),
  TopicName: textString(),
  GroupID: z.string().optional(),
  Introduction: optionalText,
  Notification: optionalText,
  FaceUrl: optionalText,
  CustomString: optionalText,
  CreateTime: count.optional(),
})

/**
 * The first few problems of a failed check, each naming its field: `TopicAndSelfInfo: must be an array`.
 *
 * @example
 * ```ts
 * describeProblems(GroupListPage.safeParse({}).error!) // 'TotalCount: must be a number; …'
 * ```
 */
export function describeProblems(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(the answer)'}: ${issue.message}`)
    .join('; ')
}

/**
 * `TopicInfo` as the mirror stores it.
 *
 * @example
 * ```ts
 * topicOf('g', TopicInfo.parse({ TopicId: 'g@TOPIC#_1', TopicName: 'news' }))
 * ```
 */
export function topicOf(groupId: string, info: z.infer<typeof TopicInfo>): ImTopic {
  return {
    GroupId: groupId,
    TopicId: info.TopicId,
    Name: info.TopicName,
    Introduction: info.Introduction ?? null,
    Notification: info.Notification ?? null,
    FaceUrl: info.FaceUrl ?? null,
    CustomString: info.CustomString ?? null,
    CreateTime: info.CreateTime,
  }
}

/** How a string from IM is shown in a message: quoted, and cut short. */
const shown = (value: unknown) =>
  typeof value === 'string' ? JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value) : String(value)

/**
 * The pages of `get_appid_group_list`, put together and held to being one whole: the same
 * `TotalCount` on every page, no group twice, a `Next` that never comes back and never stalls on an
 * empty page, and, at the end, exactly `TotalCount` groups. Anything else is thrown through `fail`.
 *
 * @example
 * ```ts
 * const listing = createGroupListing((why) => new Error(why))
 * listing.add({ TotalCount: 1, GroupIdList: [{ GroupId: 'g' }], Next: 0 }) // 0: the last page
 * listing.finish() // ['g']
 * ```
 */
export function createGroupListing(fail: (why: string) => Error) {
  const ids: string[] = []
  const seen = new Set<string>()
  const nexts = new Set([0])
  let total: number | undefined
  return {
    /** Takes one page; returns the `Next` to ask for, 0 after the last page. */
    add(page: z.infer<typeof GroupListPage>): number {
      total ??= page.TotalCount
      if (page.TotalCount !== total) {
        throw fail(
          `its TotalCount went from ${total} to ${page.TotalCount} between pages: the listing is not one whole`,
        )
      }
      for (const { GroupId } of page.GroupIdList) {
        if (seen.has(GroupId)) throw fail(`it lists group ${shown(GroupId)} twice`)
        seen.add(GroupId)
        ids.push(GroupId)
      }
      if (ids.length > total) throw fail(`it lists more groups (${ids.length}) than its TotalCount (${total})`)
      if (page.Next !== 0) {
        if (nexts.has(page.Next)) throw fail(`its Next (${page.Next}) came back: the listing goes round in a circle`)
        if (page.GroupIdList.length === 0) throw fail(`a page with no group has Next ${page.Next}: the listing stalls`)
        nexts.add(page.Next)
      }
      return page.Next
    },
    /** Every group, once the last page is in; an error when fewer than `TotalCount` came. */
    finish(): string[] {
      if (ids.length !== total) {
        throw fail(
          `it ended after ${ids.length} group(s) of the ${total} its TotalCount says: the listing is not whole`,
        )
      }
      return ids
    },
  }
}

/**
 * A topic that `get_topic` listed but whose fields no stored row could hold: it is left as it is (not
 * updated, and not deleted, since IM lists it). `topicId` is undefined when the ID itself is the problem.
 *
 * @example
 * ```ts
 * const skipped: SkippedTopic = { topicId: 'g@TOPIC#_1', problem: 'TopicAndSelfInfo[0] (topic "g@TOPIC#_1"): TopicName: must be a string' }
 * ```
 */
export interface SkippedTopic {
  topicId: string | undefined
  problem: string
}

/**
 * The topics of one `get_topic` answer for `groupId`, each checked on its own. A topic IM could not
 * read (an `ErrorCode` of its own), or one of another group, or one listed twice makes the whole
 * answer untrustworthy: that is thrown (through `fail`, or as IM's error). A topic whose fields no
 * stored row could hold is only skipped.
 *
 * @example
 * ```ts
 * readTopicListing('g', { TopicAndSelfInfo: [{ TopicInfo: { TopicId: 'g@TOPIC#_1', TopicName: 'news' } }] }, (why) => new Error(why))
 * ```
 */
export function readTopicListing(
  groupId: string,
  listing: z.infer<typeof TopicListAnswer>,
  fail: (why: string) => Error,
): { topics: ImTopic[]; skipped: SkippedTopic[] } {
  const topics: ImTopic[] = []
  const skipped: SkippedTopic[] = []
  const seen = new Set<string>()
  for (const [i, entry] of listing.TopicAndSelfInfo.entries()) {
    const rawId: unknown = (entry.TopicInfo as { TopicId?: unknown } | null | undefined)?.TopicId
    if (entry.ErrorCode !== undefined && entry.ErrorCode !== 0) {
      // One topic IM could not read: the listing is not whole, so nothing of the group is trusted.
      const info = typeof entry.ErrorInfo === 'string' && entry.ErrorInfo ? ` (${entry.ErrorInfo.slice(0, 200)})` : ''
      const which = typeof rawId === 'string' ? rawId : '(no TopicId)'
      throw new ImApiError(
        `IM get_topic for group ${groupId} failed for topic ${which}: ErrorCode ${entry.ErrorCode}${info}`,
        { call: 'million_group_open_http_svc/get_topic', groupId, errorCode: entry.ErrorCode, transient: false },
      )
    }
    const parsed = TopicInfo.safeParse(entry.TopicInfo)
    if (!parsed.success) {
      const topicId = TopicInfo.shape.TopicId.safeParse(rawId).data
      skipped.push({
        topicId,
        problem: `TopicAndSelfInfo[${i}] (topic ${shown(rawId)}): ${describeProblems(parsed.error)}`,
      })
      continue
    }
    const { TopicId, GroupID } = parsed.data
    if ((GroupID !== undefined && GroupID !== groupId) || !TopicId.startsWith(`${groupId}@TOPIC#`)) {
      throw fail(`it answered topic ${shown(TopicId)} of group ${shown(GroupID)}: the answer is not this group's`)
    }
    if (seen.has(TopicId)) throw fail(`it lists topic ${shown(TopicId)} twice`)
    seen.add(TopicId)
    topics.push(topicOf(groupId, parsed.data))
  }
  return { topics, skipped }
}

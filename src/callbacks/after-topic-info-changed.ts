import { CallbackAfterTopicInfoChanged } from '../contract/callback-bodies.ts'
import type { Effect, TopicProfile } from '../store/types.ts'
import { parseBody } from './parse-body.ts'
import type { CallbackHandler } from './types.ts'

/**
 * `Group.CallbackAfterTopicInfoChanged`: a topic's profile changed. IM's documented body names only the
 * group, so the effect carries the group for reconciliation to find which topic changed; when a
 * `TopicId` is present, the new fields apply to it at once.
 *
 * @example
 * ```ts
 * afterTopicInfoChanged({ CallbackCommand: '…', GroupId: 'g', Name: 'new' }, {})
 * // { kind: 'changeTopicInfo', groupId: 'g', topicId: undefined, profile: { Name: 'new' } }
 * ```
 */
export const afterTopicInfoChanged: CallbackHandler = (body): Effect => {
  const parsed = parseBody('Group.CallbackAfterTopicInfoChanged', CallbackAfterTopicInfoChanged, body)
  if (!parsed.ok) return parsed.rejection
  const { GroupId, TopicId, Name, Introduction, Notification, FaceUrl } = parsed.data
  const profile: Partial<TopicProfile> = {}
  for (const [field, value] of Object.entries({ Name, Introduction, Notification, FaceUrl })) {
    if (value !== undefined) profile[field as keyof TopicProfile] = value
  }
  return { kind: 'changeTopicInfo', groupId: GroupId, topicId: TopicId, profile }
}

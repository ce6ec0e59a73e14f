import { CallbackAfterTopicDestroyed } from '../contract/callback-bodies.ts'
import type { Effect } from '../store/types.ts'
import { parseBody } from './parse-body.ts'
import type { CallbackHandler } from './types.ts'

/**
 * `Group.CallbackAfterTopicDestroyed`: marks the listed topics deleted (their rows are kept).
 * `TopicIdList` may be an array or a single string.
 *
 * @example
 * ```ts
 * afterTopicDestroyed({ CallbackCommand: '…', GroupId: 'g', TopicIdList: 't' }, {})
 * // { kind: 'destroyTopics', groupId: 'g', topicIds: ['t'] }
 * ```
 */
export const afterTopicDestroyed: CallbackHandler = (body): Effect => {
  const parsed = parseBody('Group.CallbackAfterTopicDestroyed', CallbackAfterTopicDestroyed, body)
  if (!parsed.ok) return parsed.rejection
  const { GroupId, TopicIdList } = parsed.data
  const topicIds = typeof TopicIdList === 'string' ? [TopicIdList] : TopicIdList
  return { kind: 'destroyTopics', groupId: GroupId, topicIds }
}

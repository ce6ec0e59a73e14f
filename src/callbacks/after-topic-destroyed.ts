import { CallbackAfterTopicDestroyed } from '../contract/callback-bodies.ts'
import type { Effect } from '../store/types.ts'
import { describeIssues } from './describe-issues.ts'
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
  const parsed = CallbackAfterTopicDestroyed.safeParse(body, { reportInput: true })
  if (!parsed.success) {
    return {
      kind: 'reject',
      reason: `Group.CallbackAfterTopicDestroyed body is invalid: ${describeIssues(parsed.error.issues)}`,
    }
  }
  const { GroupId, TopicIdList } = parsed.data
  const topicIds = typeof TopicIdList === 'string' ? [TopicIdList] : TopicIdList
  return { kind: 'destroyTopics', groupId: GroupId, topicIds }
}

import { CallbackAfterGroupDestroyed } from '../contract/callback-bodies.ts'
import type { Effect } from '../store/types.ts'
import { parseBody } from './parse-body.ts'
import type { CallbackHandler } from './types.ts'

/**
 * `Group.CallbackAfterGroupDestroyed`: a disbanded Community takes all its topics with it (Tencent does
 * not say that per-topic destroy callbacks follow). Other group types have no topics: ignored.
 *
 * @example
 * ```ts
 * afterGroupDestroyed({ CallbackCommand: '…', GroupId: 'g', Type: 'Community' }, {}) // { kind: 'destroyGroup', groupId: 'g' }
 * ```
 */
export const afterGroupDestroyed: CallbackHandler = (body): Effect => {
  const parsed = parseBody('Group.CallbackAfterGroupDestroyed', CallbackAfterGroupDestroyed, body)
  if (!parsed.ok) return parsed.rejection
  const { GroupId, Type } = parsed.data
  if (GroupId.includes('\0'))
    return {
      kind: 'reject',
      reason: 'Group.CallbackAfterGroupDestroyed body is invalid: GroupId contains a NUL character (U+0000)',
    }
  if (Type !== 'Community') return { kind: 'ignore', reason: `a ${Type.slice(0, 40)} group has no topics` }
  return { kind: 'destroyGroup', groupId: GroupId }
}

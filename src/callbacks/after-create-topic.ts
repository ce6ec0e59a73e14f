import { CallbackAfterCreateTopic } from '../contract/callback-bodies.ts'
import type { Effect } from '../store/types.ts'
import { parseBody } from './parse-body.ts'
import type { CallbackHandler } from './types.ts'

/**
 * `Group.CallbackAfterCreateTopic`: validates the body against the contract and asks the store to keep
 * the topic (the first delivery wins).
 *
 * @example
 * ```ts
 * afterCreateTopic(sample, { ClientIP: '127.0.0.1' }) // { kind: 'createTopic', topic: { ... } }
 * ```
 */
export const afterCreateTopic: CallbackHandler = (body, query): Effect => {
  const parsed = parseBody('Group.CallbackAfterCreateTopic', CallbackAfterCreateTopic, body)
  if (!parsed.ok) return parsed.rejection
  const b = parsed.data
  const list = b.UserDefinedDataList?.map(({ Key, Value }) => ({ Key, Value })) ?? null
  return {
    kind: 'createTopic',
    topic: {
      GroupId: b.GroupId,
      TopicId: b.TopicId,
      Name: b.Name,
      Type: b.Type,
      Owner_Account: b.Owner_Account,
      Operator_Account: b.Operator_Account,
      UserDefinedDataList: list,
      ClientIP: query.ClientIP ?? null,
      OptPlatform: query.OptPlatform ?? null,
    },
  }
}

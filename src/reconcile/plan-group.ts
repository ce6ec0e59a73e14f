import type { Topic } from '../contract/read-api.ts'
import type { MirrorChange, TopicProfile } from '../store/types.ts'
import type { ImTopic } from './im-answers.ts'
import type { GroupTopics } from './im-rest-client.ts'

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

/**
 * Whether IM's topic is a new life of the one the mirror has as deleted: IM says it was created in
 * the second of the deletion or later. (IM gives `CreateTime` in whole seconds; a topic created,
 * destroyed and created again within one second is taken as created again.) Without a `CreateTime`
 * there is no evidence, and the deletion stands.
 */
function createdAgain(mine: Topic, im: ImTopic): boolean {
  if (mine.DeletedAt === null || im.CreateTime === undefined) return false
  return im.CreateTime >= Math.floor(Date.parse(mine.DeletedAt) / 1000)
}

/**
 * The changes that bring one group of the mirror to what IM answered for it. A topic is deleted only
 * on positive evidence: IM says the group is gone, or its whole listing of the group lacks the topic.
 * A topic IM listed but whose fields could not be stored (`skipped`) is left as it is.
 *
 * @example
 * ```ts
 * planGroup('g', await store.groupTopics('g'), await client.getTopics('g'), 'IM says the group does not exist any more')
 * ```
 */
export function planGroup(groupId: string, mirror: Topic[], im: GroupTopics, goneReason: string): MirrorChange[] {
  const live = mirror.filter((t) => t.DeletedAt === null)
  if (!im.exists) return live.map((t) => ({ kind: 'delete', groupId, topicId: t.TopicId, reason: goneReason }))
  const known = new Map(mirror.map((t) => [t.TopicId, t]))
  const listed = new Set([...im.topics.map((t) => t.TopicId), ...im.skipped.map((t) => t.topicId)])
  const changes: MirrorChange[] = []
  for (const topic of im.topics) {
    const mine = known.get(topic.TopicId)
    const { TopicId: topicId } = topic
    if (!mine) {
      const reason = 'IM lists the topic and the mirror lacked it'
      changes.push({ kind: 'insert', groupId, topicId, profile: profileOf(topic), reason })
    } else if (mine.DeletedAt === null) {
      const differs = difference(mine, topic)
      if (differs) changes.push({ kind: 'update', groupId, topicId, profile: profileOf(topic), reason: differs })
    } else if (createdAgain(mine, topic)) {
      const created = new Date(topic.CreateTime! * 1000).toISOString()
      const reason = `IM lists the topic, created again at ${created}, after the mirror's deletion at ${mine.DeletedAt}`
      changes.push({ kind: 'revive', groupId, topicId, profile: profileOf(topic), reason })
    }
    // Otherwise IM lists the life of the topic that the mirror saw destroyed: the deletion stands
    // (a listing can lag behind a destroy).
  }
  for (const topic of live) {
    if (!listed.has(topic.TopicId)) {
      const reason = 'IM no longer lists the topic in its group'
      changes.push({ kind: 'delete', groupId, topicId: topic.TopicId, reason })
    }
  }
  return changes
}

import { z } from '@hono/zod-openapi'

// Every body schema is loose: IM adds fields over time, and an unknown field must never turn a valid
// callback into a refusal (docs/im-callback-protocol.md, "Unknown extra fields must be accepted").

/**
 * One custom field of a topic, `{Key, Value}`.
 *
 * @example
 * ```ts
 * UserDefinedData.parse({ Key: 'UserDefined1', Value: 'hello' })
 * ```
 */
export const UserDefinedData = z
  .looseObject({ Key: z.string(), Value: z.string() })
  .openapi('UserDefinedData')

/**
 * The body of `Group.CallbackAfterCreateTopic`, every field from IM's documentation.
 *
 * @example
 * ```ts
 * const topic = CallbackAfterCreateTopic.parse(JSON.parse(body))
 * topic.TopicId // '@TGS#_@TGS#cQVLVHIM62CJ@TOPIC#_@TOPIC#cRTE3HIM62C5'
 * ```
 */
export const CallbackAfterCreateTopic = z
  .looseObject({
    CallbackCommand: z.string(),
    GroupId: z.string(),
    TopicId: z.string(),
    Operator_Account: z.string(),
    Owner_Account: z.string(),
    Type: z.string(),
    Name: z.string(),
    UserDefinedDataList: z.array(UserDefinedData).optional(),
  })
  .openapi('CallbackAfterCreateTopic')

/** The body of `Group.CallbackAfterCreateTopic`. */
export type CallbackAfterCreateTopic = z.infer<typeof CallbackAfterCreateTopic>

/**
 * The body of `Group.CallbackAfterTopicDestroyed`. `TopicIdList` is an array in the sample and a String
 * in one table of IM's page, so both are accepted.
 *
 * @example
 * ```ts
 * CallbackAfterTopicDestroyed.parse({ CallbackCommand: 'Group.CallbackAfterTopicDestroyed', GroupId: 'g', TopicIdList: 't' })
 * ```
 */
export const CallbackAfterTopicDestroyed = z
  .looseObject({
    CallbackCommand: z.string(),
    GroupId: z.string(),
    Type: z.string().optional(),
    TopicIdList: z.union([z.array(z.string()), z.string()]),
  })
  .openapi('CallbackAfterTopicDestroyed')

/** The body of `Group.CallbackAfterTopicDestroyed`. */
export type CallbackAfterTopicDestroyed = z.infer<typeof CallbackAfterTopicDestroyed>

/**
 * The body of `Group.CallbackAfterTopicInfoChanged`: the new profile of a topic. IM's documented sample
 * has no `TopicId`, so the service reconciles the group with IM's REST API to learn which topic
 * changed; a `TopicId`, when IM sends one, is applied at once.
 *
 * @example
 * ```ts
 * CallbackAfterTopicInfoChanged.parse({ CallbackCommand: 'Group.CallbackAfterTopicInfoChanged', GroupId: 'g', Name: 'new' })
 * ```
 */
export const CallbackAfterTopicInfoChanged = z
  .looseObject({
    CallbackCommand: z.string(),
    GroupId: z.string(),
    TopicId: z.string().optional(),
    Type: z.string().optional(),
    Operator_Account: z.string().optional(),
    Name: z.string().optional(),
    Introduction: z.string().optional(),
    Notification: z.string().optional(),
    FaceUrl: z.string().optional(),
  })
  .openapi('CallbackAfterTopicInfoChanged')

/** The body of `Group.CallbackAfterTopicInfoChanged`. */
export type CallbackAfterTopicInfoChanged = z.infer<typeof CallbackAfterTopicInfoChanged>

/**
 * The body of `Group.CallbackAfterGroupDestroyed`: a group was disbanded. For a Community, every topic
 * of the group is marked deleted.
 *
 * @example
 * ```ts
 * CallbackAfterGroupDestroyed.parse({ CallbackCommand: 'Group.CallbackAfterGroupDestroyed', GroupId: 'g', Type: 'Community' })
 * ```
 */
export const CallbackAfterGroupDestroyed = z
  .looseObject({
    CallbackCommand: z.string(),
    GroupId: z.string(),
    Type: z.string(),
    Owner_Account: z.string().optional(),
    Name: z.string().optional(),
  })
  .openapi('CallbackAfterGroupDestroyed')

/** The body of `Group.CallbackAfterGroupDestroyed`. */
export type CallbackAfterGroupDestroyed = z.infer<typeof CallbackAfterGroupDestroyed>

/**
 * The body of any other command: an object that carries its `CallbackCommand`.
 *
 * @example
 * ```ts
 * OtherCallback.parse({ CallbackCommand: 'Group.CallbackBeforeCreateTopic', Name: 'x' })
 * ```
 */
export const OtherCallback = z.looseObject({ CallbackCommand: z.string() }).openapi('OtherCallback')

/** The body of any other command. */
export type OtherCallback = z.infer<typeof OtherCallback>

/**
 * Any callback body the URL accepts, as documented for `POST /callback`.
 *
 * @example
 * ```ts
 * CallbackBody.safeParse(body).success
 * ```
 */
export const CallbackBody = z.union([
  CallbackAfterCreateTopic,
  CallbackAfterTopicDestroyed,
  CallbackAfterTopicInfoChanged,
  CallbackAfterGroupDestroyed,
  OtherCallback,
])

/** Any callback body. */
export type CallbackBody = z.infer<typeof CallbackBody>

import { z } from '@hono/zod-openapi'
import { commandString, idString, labelString, textString } from './limits.ts'

// No body schema refuses an unknown field: IM adds fields over time, and an unknown field must never
// turn a valid callback into a refusal. Parsing keeps the known fields; the event log keeps the whole
// body, byte for byte. The schemas leave `additionalProperties` unsaid, which in JSON Schema means "allowed".
//
// Every string the service stores has the limits of ./limits.ts: identifiers are 1 to 512 characters,
// free text at most 4,096; neither may hold U+0000 or a lone surrogate.

/** The commands this service acts on, each with its own body schema. */
export const KNOWN_COMMANDS = [
  'Group.CallbackAfterCreateTopic',
  'Group.CallbackAfterTopicDestroyed',
  'Group.CallbackAfterTopicInfoChanged',
  'Group.CallbackAfterGroupDestroyed',
] as const

/**
 * One custom field of a topic, `{Key, Value}`.
 *
 * @example
 * ```ts
 * UserDefinedData.parse({ Key: 'UserDefined1', Value: 'hello' })
 * ```
 */
export const UserDefinedData = z.object({ Key: labelString(), Value: textString() }).openapi('UserDefinedData')

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
  .object({
    CallbackCommand: z.literal('Group.CallbackAfterCreateTopic'),
    GroupId: idString(),
    TopicId: idString(),
    Operator_Account: labelString(),
    Owner_Account: labelString(),
    Type: labelString(),
    Name: textString(),
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
  .object({
    CallbackCommand: z.literal('Group.CallbackAfterTopicDestroyed'),
    GroupId: idString(),
    Type: labelString().optional(),
    TopicIdList: z.union([z.array(idString()), idString()]),
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
  .object({
    CallbackCommand: z.literal('Group.CallbackAfterTopicInfoChanged'),
    GroupId: idString(),
    TopicId: idString().optional(),
    Type: labelString().optional(),
    Operator_Account: labelString().optional(),
    Name: textString().optional(),
    Introduction: textString().optional(),
    Notification: textString().optional(),
    FaceUrl: textString().optional(),
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
  .object({
    CallbackCommand: z.literal('Group.CallbackAfterGroupDestroyed'),
    GroupId: idString(),
    Type: labelString(),
    Owner_Account: labelString().optional(),
    Name: textString().optional(),
  })
  .openapi('CallbackAfterGroupDestroyed')

/** The body of `Group.CallbackAfterGroupDestroyed`. */
export type CallbackAfterGroupDestroyed = z.infer<typeof CallbackAfterGroupDestroyed>

/**
 * The body of any other command: an object that carries its `CallbackCommand`, which is none of
 * {@link KNOWN_COMMANDS} (so that a validator holds a known command to its own schema).
 *
 * @example
 * ```ts
 * OtherCallback.parse({ CallbackCommand: 'Group.CallbackBeforeCreateTopic', Name: 'x' })
 * ```
 */
export const OtherCallback = z
  .object({
    CallbackCommand: commandString()
      .refine((command) => !(KNOWN_COMMANDS as readonly string[]).includes(command), {
        error: 'is a command with its own schema',
      })
      .openapi({ not: { type: 'string', enum: [...KNOWN_COMMANDS] } }),
  })
  .openapi('OtherCallback')

/** The body of any other command. */
export type OtherCallback = z.infer<typeof OtherCallback>

/**
 * Any callback body the URL accepts, as documented for `POST /callback`: exactly one member matches,
 * chosen by `CallbackCommand`.
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

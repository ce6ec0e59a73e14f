import { z } from '@hono/zod-openapi'

// The limits every string that the service stores from a callback keeps, on SQLite and PostgreSQL
// alike. Tencent's own limits disagree between its pages (a topic ID "at most 96 bytes", a name 30 bytes
// in the REST page and 150 in the SDK's: pages 1047/33529 and 1047/49471), so these caps sit well above
// them: they exist to keep a hostile or broken body from failing a batch, not to second-guess IM.

/**
 * The most characters (code points) an identifier may have: `TopicId`, `GroupId`, the items of
 * `TopicIdList`, the UserIDs, `Type`, a custom field's `Key`, and the `ClientIP` and `OptPlatform`
 * query parameters. Five times Tencent's 96-byte topic ID, and small enough that any 512 code points
 * (at most 2,048 bytes of UTF-8) fit a PostgreSQL index row (2,704 bytes).
 */
export const MAX_ID_LENGTH = 512

/** The most characters `CallbackCommand` may have (IM's longest command name has 40). */
export const MAX_COMMAND_LENGTH = 128

/** The most characters free text may have: `Name`, `Introduction`, `Notification`, `FaceUrl`, a custom field's `Value`. */
export const MAX_TEXT_LENGTH = 4096

/** No U+0000: valid JSON, but no PostgreSQL text column can hold it. The same pattern is in openapi.yaml. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: U+0000 is the character this pattern exists to refuse.
export const NO_NUL = /^[^\u0000]*$/

/** An unpaired UTF-16 surrogate: JSON can carry one (`"\ud800"`), but UTF-8 cannot, so a database would store U+FFFD in its place. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

const NUL_MESSAGE = 'must not contain U+0000 (NUL)'
const SURROGATE_MESSAGE =
  'must not contain a lone surrogate (an unpaired \\uD800-\\uDFFF escape): it cannot be stored as UTF-8'

/**
 * What is wrong with a string the service would store, in words that follow its field name, or null.
 * The same rules as {@link idString} and {@link textString}, for values that are not in a body (query
 * parameters).
 *
 * @example
 * ```ts
 * storedStringProblem('a\u0000b', MAX_ID_LENGTH, 1) // 'must not contain U+0000 (NUL)'
 * ```
 */
export function storedStringProblem(value: string, max: number, min = 0): string | null {
  if (value.length < min) return 'must not be empty'
  const tooLong = overLength(value, max)
  if (tooLong !== null) return `must be at most ${max} characters, got ${tooLong}`
  if (!NO_NUL.test(value)) return NUL_MESSAGE
  if (LONE_SURROGATE.test(value)) return SURROGATE_MESSAGE
  return null
}

/** Whether a string is one that no stored row can hold: the read API answers it with 404 or an empty page, without asking the database. */
export function unstorable(value: string): boolean {
  return storedStringProblem(value, MAX_ID_LENGTH) !== null
}

/** The length in code points (as JSON Schema's `maxLength` counts) when it is over `max`, else null. */
function overLength(value: string, max: number): number | null {
  // A string of at most `max` UTF-16 units has at most `max` code points: count only the long ones.
  if (value.length <= max) return null
  const points = [...value].length
  return points > max ? points : null
}

function stored(max: number, min: number) {
  let schema = z.string()
  if (min > 0) schema = schema.min(min, { error: 'must not be empty' })
  return schema
    .regex(NO_NUL, { error: NUL_MESSAGE })
    .refine((value) => !LONE_SURROGATE.test(value), { error: SURROGATE_MESSAGE, abort: true })
    .superRefine((value, ctx) => {
      const points = overLength(value, max)
      if (points !== null)
        ctx.addIssue({ code: 'custom', message: `must be at most ${max} characters, got ${points}`, input: value })
    })
    .openapi({ maxLength: max })
}

/**
 * An identifier as the service stores it: 1 to {@link MAX_ID_LENGTH} characters, no NUL, no lone surrogate.
 *
 * @example
 * ```ts
 * idString().parse('@TGS#_@TGS#cQVLVHIM62CJ@TOPIC#_@TOPIC#cRTE3HIM62C5')
 * ```
 */
export const idString = () => stored(MAX_ID_LENGTH, 1)

/**
 * A `CallbackCommand` as the service stores it: 1 to {@link MAX_COMMAND_LENGTH} characters, no NUL, no lone surrogate.
 *
 * @example
 * ```ts
 * commandString().parse('Group.CallbackAfterCreateTopic')
 * ```
 */
export const commandString = () => stored(MAX_COMMAND_LENGTH, 1)

/**
 * A UserID or another short label that IM may send empty: up to {@link MAX_ID_LENGTH} characters, no NUL, no lone surrogate.
 *
 * @example
 * ```ts
 * labelString().parse('group_root')
 * ```
 */
export const labelString = () => stored(MAX_ID_LENGTH, 0)

/**
 * Free text as the service stores it: up to {@link MAX_TEXT_LENGTH} characters, no NUL, no lone surrogate.
 *
 * @example
 * ```ts
 * textString().parse('MyFirstTopic')
 * ```
 */
export const textString = () => stored(MAX_TEXT_LENGTH, 0)

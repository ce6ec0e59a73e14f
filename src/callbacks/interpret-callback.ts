import { DEFAULTS } from '../config/index.ts'
import { MAX_COMMAND_LENGTH, MAX_ID_LENGTH, storedStringProblem } from '../contract/limits.ts'
import { Refusal } from '../contract/refusal.ts'
import type { Effect } from '../store/types.ts'
import { quote } from '../verify/quote.ts'
import { afterCreateTopic } from './after-create-topic.ts'
import { afterGroupDestroyed } from './after-group-destroyed.ts'
import { afterTopicDestroyed } from './after-topic-destroyed.ts'
import { afterTopicInfoChanged } from './after-topic-info-changed.ts'
import { checkJsonShape, type JsonLimits } from './check-json-shape.ts'
import type { CallbackHandler } from './types.ts'

/**
 * The commands this service acts on. Every other command (including every "before" command, where a
 * FAIL would block the user's action) is logged and answered OK.
 */
export const handlers: ReadonlyMap<string, CallbackHandler> = new Map([
  ['Group.CallbackAfterCreateTopic', afterCreateTopic],
  ['Group.CallbackAfterTopicDestroyed', afterTopicDestroyed],
  ['Group.CallbackAfterTopicInfoChanged', afterTopicInfoChanged],
  ['Group.CallbackAfterGroupDestroyed', afterGroupDestroyed],
])

const STORED_QUERY_PARAMETERS = ['ClientIP', 'OptPlatform'] as const

const utf8 = new TextDecoder('utf-8', { fatal: true })

/** What to do with an authenticated callback: its effect, and the refusal to answer with if it is rejected. */
export type Interpretation =
  | { effect: Effect; refusal?: undefined }
  | { effect: Effect & { kind: 'reject' }; refusal: Refusal }

function rejected(refusal: Refusal): Interpretation {
  return { effect: { kind: 'reject', reason: refusal.message }, refusal }
}

/**
 * Reads an authenticated callback's raw body and decides what it does. The body is JSON whatever the
 * Content-Type said (IM's own sample request sends none). Never throws: a bad callback is a rejection
 * that is logged, so that `replay` can run it again after a fix.
 *
 * @example
 * ```ts
 * const { effect, refusal } = interpretCallback('Group.CallbackAfterCreateTopic', query, rawBody)
 * ```
 */
export function interpretCallback(
  command: string,
  query: Readonly<Record<string, string>>,
  raw: Uint8Array,
  limits: JsonLimits = { maxDepth: DEFAULTS.maxJsonDepth, maxArrayLength: DEFAULTS.maxJsonArrayLength },
): Interpretation {
  if (command === '') {
    return rejected(new Refusal('COMMAND_MISSING', 'CallbackCommand is missing from the query string'))
  }
  const commandProblem = storedStringProblem(command, MAX_COMMAND_LENGTH, 1)
  if (commandProblem)
    return rejected(new Refusal('PARAMETER_INVALID', `The CallbackCommand query parameter ${commandProblem}`))
  let text: string
  try {
    text = utf8.decode(raw)
  } catch {
    return rejected(new Refusal('BODY_NOT_JSON', 'The body is not valid UTF-8; IM sends a JSON object'))
  }
  if (text.trim() === '') return rejected(new Refusal('BODY_NOT_JSON', 'The body is empty; IM sends a JSON object'))
  const tooComplex = checkJsonShape(text, limits)
  if (tooComplex) return rejected(new Refusal('BODY_TOO_COMPLEX', tooComplex))
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch (error) {
    // The parser's own message quotes the body; say only where it broke.
    const at = /position (\d+)/.exec(error instanceof Error ? error.message : '')?.[1]
    const where =
      at === undefined
        ? text.length > 0
          ? ' (it ends too early or holds a stray character)'
          : ''
        : ` (at character ${at})`
    return rejected(new Refusal('BODY_NOT_JSON', `The body is not valid JSON${where}`))
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    const got = body === null ? 'null' : Array.isArray(body) ? 'an array' : `a ${typeof body}`
    return rejected(new Refusal('BODY_NOT_OBJECT', `The body must be a JSON object, got ${got}`))
  }
  const inBody = (body as { CallbackCommand?: unknown }).CallbackCommand
  if (inBody !== command) {
    const said = typeof inBody === 'string' ? quote(inBody, 80) : inBody === undefined ? 'missing' : `not a string`
    return rejected(
      new Refusal('COMMAND_MISMATCH', `CallbackCommand in the body is ${said}, but the URL says ${quote(command, 80)}`),
    )
  }
  // The query parameters that are stored (with the topic, and in the event log for every command), held
  // to the limits of the fields they are stored beside. IM sends an IP address and a platform name.
  for (const name of STORED_QUERY_PARAMETERS) {
    const value = query[name]
    const problem = value === undefined ? null : storedStringProblem(value, MAX_ID_LENGTH)
    if (problem) return rejected(new Refusal('PARAMETER_INVALID', `The ${name} query parameter ${problem}`))
  }
  const handler = handlers.get(command)
  if (!handler) return { effect: { kind: 'ignore' } }
  const effect = handler(body as Record<string, unknown>, query)
  return effect.kind === 'reject' ? rejected(new Refusal('BODY_INVALID', effect.reason)) : { effect }
}

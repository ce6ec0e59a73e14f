import { randomUUID } from 'node:crypto'
import type { Config } from '../config/index.ts'
import { OK_ANSWER_JSON } from '../contract/answer.ts'
import type { EventOutcome } from '../contract/read-api.ts'
import { type Answer, Refusal, refusalAnswer } from '../contract/refusal.ts'
import { refusalFor } from '../http/refusal-for.ts'
import { withDeadline } from '../http/with-deadline.ts'
import type { Logger } from '../log/index.ts'
import { describeError } from '../log/index.ts'
import type { Metrics } from '../metrics/index.ts'
import type { NewTopic, ReceivedCallback, Store } from '../store/index.ts'
import { verifyCallback } from '../verify/verify-callback.ts'
import { handlers, interpretCallback } from './interpret-callback.ts'

/**
 * What `onTopicCreated` is told: the topic as stored, when it arrived, and the request's id.
 *
 * @example
 * ```ts
 * createApp({ config, store, onTopicCreated: ({ topic, receivedAt }) => queue.push(topic.TopicId, receivedAt) })
 * ```
 */
export interface TopicCreatedEvent {
  topic: NewTopic
  /** When the callback arrived, in milliseconds since the epoch. */
  receivedAt: number
  requestId: string
}

/** The settings the callback path reads. */
export type CallbackConfig = Pick<
  Config,
  | 'sdkAppId'
  | 'callbackTokens'
  | 'requestTimeWindowSeconds'
  | 'maxBodyBytes'
  | 'callbackDeadlineMs'
  | 'bodyTimeoutMs'
  | 'maxJsonDepth'
  | 'maxJsonArrayLength'
  | 'eventBodies'
>

/** What the callback path needs. */
export interface CallbackCoreDeps {
  config: CallbackConfig
  store: Store
  clock: () => number
  log: Logger
  metrics: Metrics
  /** Runs after a new topic has committed and before IM is answered. */
  onTopicCreated?: ((event: TopicCreatedEvent) => void | Promise<void>) | undefined
  /**
   * Told a group that only IM's REST API can settle; the service reconciles it (debounced, in the
   * background). After a committed `Group.CallbackAfterTopicInfoChanged`, whose body does not say which
   * topic changed; and after a create of a topic the mirror has as deleted, which is either a late
   * create (it stays deleted) or the topic made again under the same custom ID (it comes back).
   */
  onTopicInfoChanged?: ((groupId: string) => void) | undefined
  /** Makes request ids; the app's own, so that ids are unique whichever path a request takes. */
  requestIds?: RequestIds
}

/** One `POST /callback`, whatever server received it. */
export interface CallbackRequest {
  /** The request target (path and query), or the whole URL. */
  url: string
  /**
   * Reads the whole body. Rejects with a `BODY_TOO_LARGE` {@link Refusal} past `maxBytes` (before
   * reading it all, when the declared length says so), and with a `REQUEST_MALFORMED` one when the
   * client goes away before its end.
   */
  readBody(maxBytes: number): Promise<Uint8Array>
  /** The id given to the request already; one is made otherwise. */
  requestId?: string | undefined
}

/** The callback path, shared by the Hono route and the runtimes' direct entries. */
export interface CallbackCore {
  handle(request: CallbackRequest): Promise<Answer>
}

/** Request ids: unique across replicas by a random prefix, and cheap, one counter per request. */
export interface RequestIds {
  next(): string
}

/**
 * Makes the app's request ids.
 *
 * @example
 * ```ts
 * const ids = createRequestIds()
 * ids.next() // '1f0c9a2b-1'
 * ```
 */
export function createRequestIds(): RequestIds {
  const prefix = randomUUID().slice(0, 8)
  let count = 0
  return { next: () => `${prefix}-${(++count).toString(36)}` }
}

/**
 * A query string of printable ASCII without `%` or `+` (nothing to decode) that does not start with
 * `?` (which URLSearchParams would drop): its parameters are its text as it is.
 */
const PLAIN_QUERY = /^(?!\?)[!-$&-*,-~]*$/

/** The parameters of a {@link PLAIN_QUERY}, in order, as URLSearchParams gives them. */
function plainPairs(search: string): Array<[string, string]> {
  const pairs: Array<[string, string]> = []
  for (const part of search.split('&')) {
    if (part === '') continue
    const equals = part.indexOf('=')
    pairs.push(equals < 0 ? [part, ''] : [part.slice(0, equals), part.slice(equals + 1)])
  }
  return pairs
}

/**
 * The query string, parsed once: the parameters without `Sign` (for the event log), and `Sign`.
 *
 * @example
 * ```ts
 * parseQuery('/callback?SdkAppid=1&Sign=ab&SdkAppid=2') // { query: { SdkAppid: '1' }, sign: 'ab' }
 * ```
 */
export function parseQuery(url: string): { query: Record<string, string>; sign: string | undefined } {
  const query: Record<string, string> = {}
  let sign: string | undefined
  const at = url.indexOf('?')
  if (at < 0) return { query, sign }
  const search = url.slice(at + 1)
  // IM's query strings hold nothing to decode: split them by hand, as URLSearchParams would.
  const pairs = PLAIN_QUERY.test(search) ? plainPairs(search) : new URLSearchParams(search)
  for (const [key, value] of pairs) {
    // The first value wins, as in Hono's c.req.query(); Sign is a credential and is never kept.
    if (key === 'Sign') sign ??= value
    else if (!Object.hasOwn(query, key)) query[key] = value
  }
  return { query, sign }
}

/** The path of a request target or URL, without its query, for logs. */
function pathOf(url: string): string {
  const start = url.startsWith('/') ? 0 : url.indexOf('/', url.indexOf('//') + 2)
  const end = url.indexOf('?', start)
  return url.slice(Math.max(start, 0), end < 0 ? undefined : end).slice(0, 200)
}

/**
 * The callback path: the body cap, `SdkAppid`, `Sign`/`RequestTime`, the body's JSON and command, the
 * command's handler, the durable write, then the answer, in that order (a request that is not from IM
 * is refused before its body is parsed; the body is read once, raw, for the event log). It logs one
 * line per callback and counts it; it never throws. The Hono route and the Node and Deno entries all
 * run it, so every path gives the same answers under the same limits.
 *
 * @example
 * ```ts
 * const core = createCallbackCore({ config, store, clock: Date.now, log, metrics })
 * const reply = await core.handle({ url: '/callback?…', readBody: (max) => readBody(request, max) })
 * ```
 */
export function createCallbackCore(deps: CallbackCoreDeps): CallbackCore {
  const {
    config,
    store,
    clock,
    log,
    metrics,
    onTopicCreated,
    onTopicInfoChanged,
    requestIds = createRequestIds(),
  } = deps
  const limits = { maxDepth: config.maxJsonDepth, maxArrayLength: config.maxJsonArrayLength }
  const bodyTimeout = () =>
    new Refusal('BODY_TIMEOUT', `The body did not arrive within ${config.bodyTimeoutMs} ms; the connection is closed`)
  const tokens = {
    sdkAppId: config.sdkAppId,
    tokens: config.callbackTokens,
    windowSeconds: config.requestTimeWindowSeconds,
  }

  /** After IM is answered: a create of a deleted topic sends its group to be reconciled. */
  function settleIfDeleted({ GroupId, TopicId }: { GroupId: string; TopicId: string }): void {
    store.getTopic(TopicId).then(
      (stored) => {
        if (stored?.DeletedAt != null) onTopicInfoChanged?.(GroupId)
      },
      (error: unknown) =>
        log.warn('could not read a re-created topic back', { topicId: TopicId, ...describeError(error) }),
    )
  }

  return {
    async handle(request) {
      const started = performance.now()
      const requestId = request.requestId ?? requestIds.next()
      let command = ''
      let outcome: EventOutcome | undefined
      let refusal: Refusal | undefined
      try {
        const receivedAt = clock()
        const { query, sign } = parseQuery(request.url)
        command = query.CallbackCommand ?? ''
        const raw = await withDeadline(request.readBody(config.maxBodyBytes), config.bodyTimeoutMs, bodyTimeout)
        verifyCallback(
          { SdkAppid: query.SdkAppid, Sign: sign, RequestTime: query.RequestTime },
          { ...tokens, nowMs: receivedAt },
        )
        const interpreted = interpretCallback(command, query, raw, limits)
        const { effect } = interpreted
        // The body of a command this service does not act on (a message, say) is kept only when asked for.
        const keepBody = config.eventBodies === 'all' || handlers.has(command) || effect.kind === 'reject'
        const callback: ReceivedCallback = { receivedAt, command, query, body: raw, keepBody }
        // The deadline covers the whole callback, from its arrival: IM gives up at 2 s.
        const left = Math.max(1, config.callbackDeadlineMs - (performance.now() - started))
        outcome = await withDeadline(store.record(callback, effect), left)
        if (outcome === 'stored' && effect.kind === 'createTopic' && onTopicCreated) {
          await onTopicCreated({ topic: effect.topic, receivedAt, requestId })
        }
        if (effect.kind === 'changeTopicInfo') onTopicInfoChanged?.(effect.groupId)
        else if (outcome === 'duplicate' && effect.kind === 'createTopic' && onTopicInfoChanged) {
          settleIfDeleted(effect.topic)
        }
        refusal = interpreted.refusal
      } catch (error) {
        refusal = refusalFor(
          error,
          { requestId, method: 'POST', path: pathOf(request.url) },
          { log, deadlineMs: config.callbackDeadlineMs },
        )
      }
      const ms = performance.now() - started
      // Only a callback that proved it came from IM (it has an outcome) names its command in the metrics.
      const named = command.slice(0, 100)
      metrics.callback(outcome === undefined ? undefined : named, outcome ?? 'refused', ms / 1000)
      if (refusal) metrics.refusal(refusal.kind.toLowerCase())
      // One log line per callback, refusals included: never a token, a Sign or a body.
      log.info('callback', {
        requestId,
        command: named,
        outcome: outcome ?? 'refused',
        status: refusal?.status ?? 200,
        errorCode: refusal?.code ?? 0,
        ...(refusal ? { reason: refusal.message } : {}),
        ms: Math.round(ms * 100) / 100,
      })
      if (!refusal) return { status: 200, body: OK_ANSWER_JSON, close: false }
      return refusalAnswer(refusal)
    },
  }
}

import { headersTooLarge } from './responses.ts'
import type { AppEnv } from '../app.ts'
import type { Config } from '../config/index.ts'
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi'
import { handlers, interpretCallback } from '../callbacks/index.ts'
import { CallbackAnswer } from '../contract/answer.ts'
import { CallbackBody } from '../contract/callback-bodies.ts'
import { CallbackQuery } from '../contract/callback-query.ts'
import { answerOk, answerRefusal } from '../http/answers.ts'
import { Refusal } from '../contract/refusal.ts'
import { readBody } from '../http/read-body.ts'
import { withDeadline } from '../http/with-deadline.ts'
import type { Logger } from '../log/index.ts'
import type { Metrics } from '../metrics/index.ts'
import type { NewTopic, ReceivedCallback, Store } from '../store/types.ts'
import { verifyCallback } from '../verify/verify-callback.ts'
import type { EventOutcome } from '../contract/read-api.ts'

const answer = (description: string) => ({
  description,
  content: { 'application/json': { schema: CallbackAnswer } },
})

/** `POST /callback`, as documented in openapi.yaml. */
export const callbackRoute = createRoute({
  method: 'post',
  path: '/callback',
  operationId: 'receiveCallback',
  tags: ['Callback'],
  security: [{ ImSign: [] }, {}],
  request: {
    query: CallbackQuery,
    // Required, so that a body without a Content-Type is still parsed and validated; any media type,
    // because the body is JSON whatever the header says (IM's own sample sends none).
    body: { required: true, content: { 'application/json': { schema: CallbackBody }, '*/*': { schema: CallbackBody } } },
  },
  responses: {
    200: answer('Stored, a duplicate, or a command this service does not act on.'),
    400: answer('The body is not JSON, not an object, names another command, or does not match its schema.'),
    401: answer('Sign or RequestTime is missing, malformed, wrong or stale.'),
    403: answer("SdkAppid is missing or is not this app's."),
    408: answer('The body did not arrive within BODY_TIMEOUT_MS.'),
    413: answer('The body is larger than MAX_BODY_BYTES.'),
    500: answer('An unexpected internal error.'),
    503: answer('The database is unavailable, or the write did not commit in time.'),
    ...headersTooLarge,
  },
})

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

/** The settings the callback route reads. */
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

/** What the callback route needs. */
export interface CallbackRouteDeps {
  config: CallbackConfig
  store: Store
  clock: () => number
  log: Logger
  metrics: Metrics
  /** Runs after a new topic has committed and before IM is answered. */
  onTopicCreated?: ((event: TopicCreatedEvent) => void | Promise<void>) | undefined
  /**
   * Told the group of a committed `Group.CallbackAfterTopicInfoChanged`, whose body does not say which
   * topic changed: the service reconciles that group with IM's REST API (debounced, in the background).
   */
  onTopicInfoChanged?: ((groupId: string) => void) | undefined
}

/** The query string, parsed once: the parameters without `Sign` (for the event log), and `Sign`. */
function parseQuery(url: string): { query: Record<string, string>; sign: string | undefined } {
  const query: Record<string, string> = {}
  let sign: string | undefined
  const at = url.indexOf('?')
  if (at < 0) return { query, sign }
  for (const [key, value] of new URLSearchParams(url.slice(at + 1))) {
    // The first value wins, as in Hono's c.req.query(); Sign is a credential and is never kept.
    if (key === 'Sign') sign ??= value
    else if (!Object.hasOwn(query, key)) query[key] = value
  }
  return { query, sign }
}

/**
 * Registers `POST /callback`: the body cap, `SdkAppid`, `Sign`/`RequestTime`, the body's JSON and
 * command, the command's handler, the durable write, then the answer, in that order. The route is
 * documented from {@link callbackRoute}, and its pipeline is written out by hand, because the order of
 * the checks is part of the contract (a request that is not from IM is refused before its body is
 * parsed) and the body must be read once, raw, for the event log.
 *
 * @example
 * ```ts
 * registerCallbackRoute(app, { config, store, clock: Date.now, log })
 * ```
 */
export function registerCallbackRoute(app: OpenAPIHono<AppEnv>, deps: CallbackRouteDeps): void {
  const { config, store, clock, log, metrics, onTopicCreated, onTopicInfoChanged } = deps
  app.openAPIRegistry.registerPath(callbackRoute)

  // One log line per callback, refusals included: never a token, a Sign or a body.
  app.use(callbackRoute.path, async function logCallback(c, next) {
    const started = performance.now()
    await next()
    const ms = performance.now() - started
    const refusal = c.get('refusal')
    const outcome = c.get('outcome')
    // The handler notes the command it parsed; only a request it never took (another method) has none.
    const command = (c.get('command') ?? c.req.query('CallbackCommand') ?? '').slice(0, 100)
    // Only a callback that proved it came from IM (it has an outcome) names its command in the metrics.
    metrics.callback(outcome === undefined ? undefined : command, outcome ?? 'refused', ms / 1000)
    log.info('callback', {
      requestId: c.get('requestId'),
      command,
      outcome: outcome ?? 'refused',
      status: c.res.status,
      errorCode: refusal?.code ?? 0,
      ...(refusal ? { reason: refusal.message } : {}),
      ms: Math.round(ms * 100) / 100,
    })
  })

  const limits = { maxDepth: config.maxJsonDepth, maxArrayLength: config.maxJsonArrayLength }
  const bodyTimeout = () =>
    new Refusal('BODY_TIMEOUT', `The body did not arrive within ${config.bodyTimeoutMs} ms; the connection is closed`)

  app.post(callbackRoute.path, async function receiveCallback(c) {
    const started = performance.now()
    const receivedAt = clock()
    const { query, sign } = parseQuery(c.req.url)
    const command = query.CallbackCommand ?? ''
    c.set('command', command)
    const raw = await withDeadline(readBody(c.req.raw, config.maxBodyBytes), config.bodyTimeoutMs, bodyTimeout)
    verifyCallback(
      { SdkAppid: query.SdkAppid, Sign: sign, RequestTime: query.RequestTime },
      { sdkAppId: config.sdkAppId, tokens: config.callbackTokens, windowSeconds: config.requestTimeWindowSeconds, nowMs: receivedAt },
    )
    const { effect, refusal } = interpretCallback(command, query, raw, limits)
    // The body of a command this service does not act on (a message, say) is kept only when asked for.
    const keepBody = config.eventBodies === 'all' || handlers.has(command) || effect.kind === 'reject'
    const callback: ReceivedCallback = { receivedAt, command, query, body: raw, keepBody }
    // The deadline covers the whole callback, from its arrival: IM gives up at 2 s.
    const left = Math.max(1, config.callbackDeadlineMs - (performance.now() - started))
    const outcome: EventOutcome = await withDeadline(store.record(callback, effect), left)
    if (outcome === 'stored' && effect.kind === 'createTopic' && onTopicCreated) {
      await onTopicCreated({ topic: effect.topic, receivedAt, requestId: c.get('requestId') })
    }
    if (effect.kind === 'changeTopicInfo') onTopicInfoChanged?.(effect.groupId)
    c.set('outcome', outcome)
    if (refusal) {
      c.set('refusal', refusal)
      return answerRefusal(refusal)
    }
    return answerOk()
  })
}

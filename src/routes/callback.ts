import { createRoute } from '@hono/zod-openapi'
import type { App } from '../app-env.ts'
import type { CallbackCore } from '../callbacks/callback-core.ts'
import { CallbackAnswer } from '../contract/answer.ts'
import { CallbackBody } from '../contract/callback-bodies.ts'
import { CallbackQuery } from '../contract/callback-query.ts'
import { toResponse } from '../http/answers.ts'
import { readBody } from '../http/read-body.ts'
import { headersTooLarge } from './responses.ts'

export type { CallbackConfig, CallbackCoreDeps, TopicCreatedEvent } from '../callbacks/callback-core.ts'

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
    body: {
      required: true,
      content: { 'application/json': { schema: CallbackBody }, '*/*': { schema: CallbackBody } },
    },
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
 * Registers `POST /callback` on the app: documented from {@link callbackRoute}, and answered by the
 * callback path (see {@link createCallbackCore}), the same one that the Node and Deno entries run
 * without Hono.
 *
 * @example
 * ```ts
 * registerCallbackRoute(app, createCallbackCore({ config, store, clock: Date.now, log, metrics }))
 * ```
 */
export function registerCallbackRoute(app: App, core: CallbackCore): void {
  app.openAPIRegistry.registerPath(callbackRoute)
  app.post(callbackRoute.path, async function receiveCallback(c) {
    const reply = await core.handle({
      url: c.req.url,
      readBody: (maxBytes) => readBody(c.req.raw, maxBytes),
      requestId: c.get('requestId'),
    })
    return toResponse(reply)
  })
}

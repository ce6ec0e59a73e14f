import type { CallbackCore } from '../callbacks/callback-core.ts'
import { toResponse } from './answers.ts'
import { readBody } from './read-body.ts'

/** Whether a URL's path is `/callback` (the query does not matter). */
export function isCallbackUrl(url: string): boolean {
  const start = url.indexOf('/', url.indexOf('://') + 3)
  if (start < 0) return false
  const end = url.indexOf('?', start)
  return (end < 0 ? url.length : end) - start === 9 && url.startsWith('/callback', start)
}

/**
 * A fetch handler (`Deno.serve`, Bun, workers) that answers `POST /callback` with the callback core
 * directly, without Hono's router and context, and hands every other request to `fallback` (the
 * app). Both run the same core, with the same checks, limits and answers.
 *
 * @example
 * ```ts
 * Deno.serve(answerCallbacksOnFetch(callbacks, (request, info) => app.fetch(request, info)))
 * ```
 */
export function answerCallbacksOnFetch<I>(
  callbacks: CallbackCore,
  fallback: (request: Request, info: I) => Response | Promise<Response>,
): (request: Request, info: I) => Response | Promise<Response> {
  return (request, info) => {
    if (request.method !== 'POST' || !isCallbackUrl(request.url)) return fallback(request, info)
    return callbacks.handle({ url: request.url, readBody: (maxBytes) => readBody(request, maxBytes) }).then(toResponse)
  }
}

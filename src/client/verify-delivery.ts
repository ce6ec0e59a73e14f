import { Webhook } from 'standardwebhooks'
import type * as Types from '../contract/generated-types.ts'

/**
 * The body of one webhook delivery: `topic.created`, `topic.updated` or `topic.deleted`, and the
 * change, exactly as one item of `GET /changes`.
 *
 * @example
 * ```ts
 * const event: WebhookEvent = verifyDelivery(secret, body, headers)
 * ```
 */
export type WebhookEvent = Types.WebhookEvent

/**
 * Thrown by {@link verifyDelivery} when a delivery is not proven: a header missing, a timestamp more
 * than 5 minutes from this clock, or no signature that a given secret made.
 *
 * @example
 * ```ts
 * try { verifyDelivery(secret, body, headers) } catch (error) { if (error instanceof DeliveryVerificationError) return 401 }
 * ```
 */
export class DeliveryVerificationError extends Error {
  override readonly name = 'DeliveryVerificationError'
}

/**
 * Headers as the common servers give them: a Fetch `Headers`, or Node's object of strings.
 *
 * @example
 * ```ts
 * const headers: DeliveryHeaders = req.headers // node:http, or request.headers in a fetch handler
 * ```
 */
export type DeliveryHeaders = Headers | Record<string, string | string[] | undefined>

function headerObject(headers: DeliveryHeaders): Record<string, string> {
  const out: Record<string, string> = {}
  if (typeof (headers as Headers).get === 'function') {
    for (const name of ['webhook-id', 'webhook-timestamp', 'webhook-signature']) {
      const value = (headers as Headers).get(name)
      if (value !== null) out[name] = value
    }
    return out
  }
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) out[name.toLowerCase()] = Array.isArray(value) ? value.join(' ') : value
  }
  return out
}

/**
 * Proves that a delivery came from the service, with the npm package `standardwebhooks`, and returns
 * its event. Pass the body exactly as received (a string or its bytes: not re-serialised JSON), and
 * one secret, or several while you switch to a rotated one.
 *
 * @example
 * ```ts
 * const event = verifyDelivery(process.env.WEBHOOK_SECRET!, await request.text(), request.headers)
 * console.log(event.type, event.data.position, event.data.topic.TopicId)
 * ```
 */
export function verifyDelivery(
  secrets: string | readonly string[],
  body: string | Uint8Array,
  headers: DeliveryHeaders,
): WebhookEvent {
  const given = headerObject(headers)
  let last: unknown
  for (const secret of typeof secrets === 'string' ? [secrets] : secrets) {
    try {
      return new Webhook(secret).verify(typeof body === 'string' ? body : Buffer.from(body), given) as WebhookEvent
    } catch (error) {
      last = error
    }
  }
  throw new DeliveryVerificationError(
    `the delivery is not proven: ${last instanceof Error ? last.message : 'no secret was given'}`,
    { cause: last },
  )
}

import type { z } from 'zod'
import type { Effect } from '../store/types.ts'
import { describeIssues } from './describe-issues.ts'

/**
 * Checks a callback's body against its command's schema: the parsed body, or the rejection every
 * handler gives, `<command> body is invalid: <which field, what was wrong>`.
 *
 * @example
 * ```ts
 * const parsed = parseBody('Group.CallbackAfterTopicDestroyed', CallbackAfterTopicDestroyed, body)
 * if (!parsed.ok) return parsed.rejection
 * ```
 */
export function parseBody<S extends z.ZodType>(
  command: string,
  schema: S,
  body: Record<string, unknown>,
): { ok: true; data: z.output<S> } | { ok: false; rejection: Effect } {
  const parsed = schema.safeParse(body, { reportInput: true })
  if (parsed.success) return { ok: true, data: parsed.data }
  return {
    ok: false,
    rejection: { kind: 'reject', reason: `${command} body is invalid: ${describeIssues(parsed.error.issues)}` },
  }
}

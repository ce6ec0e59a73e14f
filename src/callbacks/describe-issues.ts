import type { z } from 'zod'

function kindOf(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  if (typeof value === 'object') return 'an object'
  return `a ${typeof value}`
}

function pathOf(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (out, key) => (typeof key === 'number' ? `${out}[${key}]` : out === '' ? String(key) : `${out}.${String(key)}`),
    '',
  )
}

function describeIssue(issue: z.core.$ZodIssue, at: readonly PropertyKey[] = []): string {
  const path = [...at, ...issue.path]
  const field = pathOf(path) || 'the body'
  if (issue.code === 'invalid_type') {
    const expected =
      issue.expected === 'array' ? 'an array' : issue.expected === 'object' ? 'an object' : `a ${issue.expected}`
    return issue.input === undefined
      ? `${field} is required (${expected})`
      : `${field} must be ${expected}, got ${kindOf(issue.input)}`
  }
  if (issue.code === 'invalid_union') {
    // A string-or-array field (TopicIdList): when the value has one of the two shapes, say what is
    // wrong inside it rather than that the shape is wrong.
    const branch = issue.errors.find(
      (issues) => issues.length > 0 && issues.every((sub) => sub.code !== 'invalid_type' || sub.path.length > 0),
    )
    if (branch) return branch.map((sub) => describeIssue(sub, path)).join('; ')
    return `${field} must be an array of strings or a string, got ${kindOf(issue.input)}`
  }
  // Our own messages (./limits.ts) follow the field's name: "TopicId must not be empty".
  return `${field} ${issue.message}`
}

/**
 * Turns zod's issues into one sentence a person can act on, naming each field and what is wrong with
 * it. Expects a parse made with `reportInput: true`.
 *
 * @example
 * ```ts
 * describeIssues(result.error.issues) // 'TopicId is required (a string); Name must be a string, got a number'
 * ```
 */
export function describeIssues(issues: readonly z.core.$ZodIssue[], most = 5): string {
  const described = issues.slice(0, most).map((issue) => describeIssue(issue))
  if (issues.length > most) described.push(`and ${issues.length - most} more`)
  return described.join('; ')
}

/**
 * Quotes a value from a request for an error message: JSON-escaped, cut to `max` characters, so that
 * a hostile value can neither forge log lines nor flood them.
 *
 * @example
 * ```ts
 * quote('abc\n') // '"abc\\n"'
 * ```
 */
export function quote(value: string, max = 40): string {
  return JSON.stringify(value.length > max ? `${value.slice(0, max)}…` : value)
}

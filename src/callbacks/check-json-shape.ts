/** The caps {@link checkJsonShape} enforces. */
export interface JsonLimits {
  /** The deepest nesting of objects and arrays allowed (IM's bodies nest 3 deep). */
  maxDepth: number
  /** The most items one array may hold. */
  maxArrayLength: number
}

const QUOTE = 0x22
const BACKSLASH = 0x5c
const OPEN_OBJECT = 0x7b
const CLOSE_OBJECT = 0x7d
const OPEN_ARRAY = 0x5b
const CLOSE_ARRAY = 0x5d
const COMMA = 0x2c

/**
 * Checks, in one pass over the text and before it is parsed, that JSON nests no deeper than
 * `maxDepth` and that no array holds more than `maxArrayLength` items, so that a hostile body cannot
 * make parsing or validation expensive. Returns what is wrong, or null. Malformed JSON is left for
 * `JSON.parse` to describe.
 *
 * @example
 * ```ts
 * checkJsonShape('[[[1]]]', { maxDepth: 2, maxArrayLength: 10 }) // 'The body nests deeper than 2 levels'
 * ```
 */
export function checkJsonShape(text: string, { maxDepth, maxArrayLength }: JsonLimits): string | null {
  // For each open container: -1 for an object, else the number of commas seen in the array so far.
  const commas: number[] = []
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === BACKSLASH) i++
      else if (c === QUOTE) inString = false
      continue
    }
    if (c === QUOTE) inString = true
    else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      if (commas.length >= maxDepth) return `The body nests deeper than ${maxDepth} levels`
      commas.push(c === OPEN_OBJECT ? -1 : 0)
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      commas.pop()
    } else if (c === COMMA) {
      const top = commas.length - 1
      if (top >= 0 && commas[top]! >= 0 && ++commas[top]! >= maxArrayLength) {
        return `The body has an array of more than ${maxArrayLength} items`
      }
    }
  }
  return null
}

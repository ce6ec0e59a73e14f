import { Refusal } from '../contract/refusal.ts'

/**
 * The opaque `nextCursor` for a page that ended at position `position`.
 *
 * @example
 * ```ts
 * encodeCursor(42) // 'NDI'
 * ```
 */
export function encodeCursor(position: number | null): string | null {
  return position === null ? null : Buffer.from(String(position)).toString('base64url')
}

/**
 * The position a `cursor` parameter stands for; 0 (the start) when there is none.
 *
 * @example
 * ```ts
 * decodeCursor('NDI') // 42
 * ```
 */
export function decodeCursor(cursor: string | undefined): number {
  if (cursor === undefined) return 0
  const text = /^[A-Za-z0-9_-]{1,24}$/.test(cursor) ? Buffer.from(cursor, 'base64url').toString() : ''
  if (!/^\d{1,15}$/.test(text)) {
    throw new Refusal('PARAMETER_INVALID', 'cursor is not one this API returned: pass nextCursor back as it was, or omit it')
  }
  return Number(text)
}

/**
 * The `nextCursor` for a page that ended at position `position`: the position in decimal digits, so
 * that every client and validator can check it as what the contract says it is.
 *
 * @example
 * ```ts
 * encodeCursor(42) // '42'
 * ```
 */
export function encodeCursor(position: number | null): string | null {
  return position === null ? null : String(position)
}

/**
 * The position a `cursor` parameter stands for (the contract has checked it is digits); 0, the start,
 * when there is none.
 *
 * @example
 * ```ts
 * decodeCursor('42') // 42
 * ```
 */
export function decodeCursor(cursor: string | undefined): number {
  return cursor === undefined ? 0 : Number(cursor)
}

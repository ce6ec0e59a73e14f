import type { Effect } from '../store/types.ts'

/**
 * Decides what one command's callback does: a store effect, or a rejection with its reason. Pure: no
 * I/O, so that `replay` can run it again on a logged body.
 */
export type CallbackHandler = (body: Record<string, unknown>, query: Readonly<Record<string, string>>) => Effect

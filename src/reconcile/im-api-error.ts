/**
 * A call to IM's REST API that failed, or whose answer could not be believed: it names the call and
 * the group, and says whether trying again later may help.
 *
 * @example
 * ```ts
 * try { await client.getTopics(groupId) } catch (error) { if (error instanceof ImApiError) console.error(error.message) }
 * ```
 */
export class ImApiError extends Error {
  override readonly name = 'ImApiError'
  readonly details: {
    call: string
    groupId?: string | undefined
    errorCode?: number | undefined
    transient: boolean
    /** The answer came, but not in the shape IM documents, or not whole: nothing of it was used. */
    malformed?: boolean | undefined
  }
  constructor(message: string, details: ImApiError['details'], options?: ErrorOptions) {
    super(message, options)
    this.details = details
  }
}

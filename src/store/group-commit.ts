/** Options of {@link createGroupCommit}. */
export interface GroupCommitOptions<I, O> {
  /** Commits a batch in one transaction and returns one result per item, in order. */
  commit(items: I[]): Promise<O[]>
  /** Whether a failed batch should be retried item by item, so that one bad item fails alone. */
  isolate?(error: unknown): boolean
  /** The most items in one transaction. */
  maxBatch?: number
  /** Told of each committed transaction: how many items, how long it took. */
  onCommit?(size: number, seconds: number): void
  /** Told of each failed transaction. */
  onFailure?(error: unknown): void
}

/** A queue whose items are committed together. */
export interface GroupCommit<I, O> {
  /** Resolves with the item's result once its batch has committed; rejects if it did not. */
  submit(item: I): Promise<O>
  /** Resolves when everything submitted so far has committed or failed. */
  drain(): Promise<void>
}

interface Pending<I, O> {
  item: I
  resolve(value: O): void
  reject(error: unknown): void
}

/**
 * Group commit: writes that arrive while a transaction is being prepared or committed share the next
 * transaction, so that many callbacks pay for one commit (one fsync), while each caller still waits for
 * its own commit before it answers.
 *
 * @example
 * ```ts
 * const writes = createGroupCommit({ commit: (items) => db.transaction(...) })
 * const outcome = await writes.submit(item) // committed when this resolves
 * ```
 */
export function createGroupCommit<I, O>({
  commit,
  isolate = () => true,
  maxBatch = 256,
  onCommit,
  onFailure,
}: GroupCommitOptions<I, O>): GroupCommit<I, O> {
  let pending: Pending<I, O>[] = []
  let running: Promise<void> | null = null

  async function commitBatch(batch: Pending<I, O>[]): Promise<void> {
    const started = performance.now()
    try {
      const results = await commit(batch.map((p) => p.item))
      onCommit?.(batch.length, (performance.now() - started) / 1000)
      for (const [i, p] of batch.entries()) p.resolve(results[i] as O)
    } catch (error) {
      onFailure?.(error)
      if (batch.length === 1 || !isolate(error)) {
        for (const p of batch) p.reject(error)
        return
      }
      // One item may have poisoned the whole transaction: commit the rest one by one.
      for (const p of batch) await commitBatch([p])
    }
  }

  async function run(): Promise<void> {
    // Let the requests already read in this turn of the event loop join the first batch.
    await new Promise<void>((resolve) => setImmediate(resolve))
    while (pending.length > 0) {
      const batch = pending.length <= maxBatch ? pending : pending.slice(0, maxBatch)
      pending = pending.length <= maxBatch ? [] : pending.slice(maxBatch)
      await commitBatch(batch)
    }
    running = null
  }

  return {
    submit(item) {
      return new Promise<O>((resolve, reject) => {
        pending.push({ item, resolve, reject })
        running ??= run()
      })
    },
    async drain() {
      while (running) await running
    },
  }
}
